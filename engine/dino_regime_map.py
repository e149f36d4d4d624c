"""The DINO regime map: teacher temperature x centre momentum, several seeds a cell.

Each run is a ``DINOSimulation`` with the cell's teacher temperature and centre momentum and
every other setting shared; a cell is trained from ``seeds`` consecutive seeds (same initial
networks and data as the DINO page with that seed). A run's final teacher entropy and
prototype-usage entropy give its regime through ``dino_verdict``: one prototype dominates
(sharpening wins), healthy, or uniform (centering wins) (DINO Fig. 7). A cell shows the fraction
of its seeds in each regime and is coloured by the majority; one seed can say the opposite of
what most seeds do.

The map fills in incrementally so a panel can show it while the lecturer talks, the whole map for
the first seed, then for each further seed: ``step(count)``
makes progress and returns, ``step_cell()`` finishes the next run, ``cells()`` yields each run's
result as it comes. Stopping is not calling them; resuming is calling them again.

With ``workers`` > 1 the runs go to that many worker processes (spawned, so a GUI's state is
never copied) and ``step`` only collects finished runs, waiting at most a few milliseconds; with
one worker (or inside a daemonic process, which may not start children) the runs train here,
``count`` steps at a time. Runs evaluate every ``EVAL_INTERVAL`` = 100 steps instead of 10:
evaluation does not touch training, so the final entropies are the same at a fraction of the
cost (the final ``loss`` is then the mean over the last 100 steps rather than 10).
"""
from __future__ import annotations

import math
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass

import numpy as np

from engine.dino import DINO_PARAMS, DINOSimulation, dino_verdict
from engine.params import ParameterError, spec_table, validate_params
from engine.published import (
    APP_D_CENTER_MOMENTA,
    APP_D_TEACHER_TEMPERATURES,
    PAPER_POINTS,
    regime_agrees,
)

AXES = ("teacher_temperature", "center_momentum")
REGIMES = ("one prototype dominates", "healthy", "uniform")  # low to high teacher entropy
MAP_PARAMS = tuple(spec for spec in DINO_PARAMS if spec.name not in AXES)
RECORDED = ("teacher_entropy", "usage_entropy", "kl_teacher_student", "knn_accuracy", "loss")

# DINO App. D's temperatures exactly, with 0.01 below (sharper) and 0.12, 0.2 above (softer).
DEFAULT_TEACHER_TEMPERATURES = (0.01,) + APP_D_TEACHER_TEMPERATURES + (0.12, 0.2)
# DINO App. D's momenta exactly; 0.5 and 0.997 fill the gaps where the regime changes.
DEFAULT_CENTER_MOMENTA = tuple(sorted(APP_D_CENTER_MOMENTA + (0.5, 0.997)))
DEFAULT_SEEDS = 3
MAX_SEEDS = 64
POLL_SECONDS = 0.005  # longest a step() waits for a worker: the engine's slice stays short


@dataclass(frozen=True)
class CellResult:
    """The outcome of one run of one cell."""

    row: int  # index of the teacher temperature
    column: int  # index of the centre momentum
    seed: int
    teacher_temperature: float
    center_momentum: float
    steps: int
    diverged_at_step: int | None
    teacher_entropy: float
    usage_entropy: float
    kl_teacher_student: float
    knn_accuracy: float
    loss: float
    regime: str
    seconds: float
    history: dict  # the run's evaluations (BoundedHistory.as_dict)


class _CellSimulation(DINOSimulation):
    """DINOSimulation evaluating less often: the map needs the final values only."""

    EVAL_INTERVAL = 100
    DENSE_STEPS = 0  # nor densely after a reset


def _finish(sim: DINOSimulation, row: int, column: int, seconds: float) -> CellResult:
    """The result of a run that has done its steps (or diverged)."""
    start = time.process_time()
    # As Simulation.run: a last evaluation at the final step.
    if sim.step_count % sim.EVAL_INTERVAL and not sim.diverged:
        sim._record()
    sim.refresh_latest()
    latest = sim.latest
    return CellResult(
        row=row, column=column, seed=sim.params["seed"],
        teacher_temperature=sim.params["teacher_temperature"],
        center_momentum=sim.params["center_momentum"],
        steps=sim.step_count, diverged_at_step=sim.diverged_at_step,
        **{name: float(latest[name]) for name in RECORDED},
        regime=dino_verdict(latest["teacher_entropy"], latest["usage_entropy"],
                            sim.num_prototypes),
        seconds=seconds + time.process_time() - start,
        history=sim.history.as_dict(),
    )


def train_cell(row: int, column: int, params: dict, steps: int) -> CellResult:
    """One whole run (in a worker process); CPU seconds in ``seconds``."""
    start = time.process_time()
    sim = _CellSimulation(**params)
    sim.step(steps)
    return _finish(sim, row, column, time.process_time() - start)


def default_workers() -> int:
    """Every core this process may use; 1 inside a daemonic process (it may not start any)."""
    if multiprocessing.current_process().daemon:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fractions(regimes: list[str]) -> list[float]:
    """The fraction of ``regimes`` in each of REGIMES (zeros when empty)."""
    if not regimes:
        return [0.0] * len(REGIMES)
    return [regimes.count(name) / len(regimes) for name in REGIMES]


def majority(regimes: list[str]) -> str | None:
    """The most common regime; a tie goes to healthy, then to the lower teacher entropy."""
    if not regimes:
        return None
    counts = [regimes.count(name) for name in REGIMES]
    best = max(counts)
    if counts[REGIMES.index("healthy")] == best:
        return "healthy"
    return REGIMES[counts.index(best)]


class DINORegimeMap:
    """A grid of DINO runs over teacher temperature (rows) x centre momentum (columns) x seeds."""

    NAME = "dino_regime_map"
    PARAMS = MAP_PARAMS
    DEFAULT_STEPS = DINOSimulation.DEFAULT_STEPS
    DEFAULT_SEEDS = DEFAULT_SEEDS

    def __init__(self, teacher_temperatures=DEFAULT_TEACHER_TEMPERATURES,
                 center_momenta=DEFAULT_CENTER_MOMENTA, steps: int | None = None,
                 seeds: int = DEFAULT_SEEDS, workers: int | None = None, **params: object):
        specs = spec_table(DINO_PARAMS)
        self.teacher_temperatures = tuple(
            specs["teacher_temperature"].validate(t) for t in teacher_temperatures)
        self.center_momenta = tuple(specs["center_momentum"].validate(m) for m in center_momenta)
        if not self.teacher_temperatures or not self.center_momenta:
            raise ParameterError("the regime map needs at least one temperature and one momentum")
        steps = self.DEFAULT_STEPS if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1_000_000:
            raise ParameterError(f"steps must be a whole number from 1 to 1000000, not {steps!r}")
        if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
            raise ParameterError(f"seeds must be a whole number from 1 to {MAX_SEEDS}, not {seeds!r}")
        workers = default_workers() if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
            raise ParameterError(f"workers must be a whole number from 1 to 256, not {workers!r}")
        self.steps = steps
        self.num_seeds = seeds
        self.workers = workers
        self.params = validate_params(self.PARAMS, params)
        self._specs = spec_table(self.PARAMS)
        self._pool = None  # a multiprocessing.Pool while runs are under way in workers
        self.reset()

    # -- parameters and life cycle --------------------------------------------------------
    def set_param(self, name: str, value: object) -> None:
        """Validate and store a shared parameter; it takes effect on the next ``reset``, so
        every cell of a map is trained with the same settings."""
        if name not in self._specs:
            raise ParameterError(f"unknown parameter {name!r} for {self.NAME}")
        self.params[name] = self._specs[name].validate(value)

    def reset(self, seed: int | None = None) -> None:
        """Forget every run (cancelling those under way); the next step starts afresh."""
        self.close()
        if seed is not None:
            self.params["seed"] = self._specs["seed"].validate(seed)
        rows, columns = self.shape
        # runs[row][column][k]: the result of the cell's k-th seed, None until it finishes.
        self.runs: list[list[list[CellResult | None]]] = [
            [[None] * self.num_seeds for _ in range(columns)] for _ in range(rows)]
        # The whole map for the first seed, then again for each further seed: a hall sees a
        # complete map as soon as one seed's would be, and then how far the other seeds agree.
        self._order = [(r, c, k) for k in range(self.num_seeds) for r in range(rows)
                       for c in range(columns)]
        self._waiting = list(self._order)  # runs not started yet, next first
        self._done = 0
        self._fresh: list[CellResult] = []  # finished runs step_cell has not handed out yet
        self._current: tuple[int, int, int, DINOSimulation] | None = None  # in-process run
        self._current_seconds = 0.0
        self._futures: dict = {}  # AsyncResult -> (row, column, k), runs in worker processes
        self.step_count = 0  # training steps over all finished runs (and the current one)

    def close(self) -> None:
        """Stop the worker processes, cancelling the runs they have not finished."""
        if self._pool is not None:
            # Pool workers are daemonic and terminate() stops them at once: a reset or the
            # app's exit never waits for a run to end.
            self._pool.terminate()
            self._pool = None
        # Runs cut short start again when the map resumes.
        cut_short = list(getattr(self, "_futures", {}).values())
        if cut_short:
            self._waiting[:0] = cut_short
        self._futures = {}

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self.close()

    @property
    def seeds(self) -> list[int]:
        first = self.params["seed"]
        return [first + k for k in range(self.num_seeds)]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.teacher_temperatures), len(self.center_momenta)

    @property
    def runs_done(self) -> int:
        return self._done

    @property
    def runs_total(self) -> int:
        return len(self._order)

    @property
    def cells_done(self) -> int:
        """Cells whose every seed has finished."""
        return sum(all(r is not None for r in cell) for row in self.runs for cell in row)

    @property
    def finished(self) -> bool:
        return self._done == len(self._order)

    # The engine thread's Simulation interface: a diverged run is a result, not a stop.
    diverged = False
    divergence_reason = ""

    def cell_params(self, row: int, column: int, k: int = 0) -> dict:
        """The full DINOSimulation parameters of one cell's k-th seed."""
        return {**self.params, "seed": self.params["seed"] + k,
                "teacher_temperature": self.teacher_temperatures[row],
                "center_momentum": self.center_momenta[column]}

    # -- filling in -----------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        """Make progress: up to ``count`` training steps here, or (with worker processes) collect
        the runs that have finished, waiting at most a few milliseconds."""
        self._advance(count)
        self._fresh.clear()  # runs finished here are in the map; step_cell hands out its own

    def _advance(self, count: int) -> None:
        if self.workers > 1:
            self._collect(POLL_SECONDS)
            return
        remaining = count
        while remaining > 0 and not self.finished:
            if self._current is None:
                self._start_next_run()
            _, _, _, sim = self._current
            todo = min(remaining, self.steps - sim.step_count)
            start = time.process_time()
            before = sim.step_count
            sim.step(todo)
            self._current_seconds += time.process_time() - start
            self.step_count += sim.step_count - before
            remaining -= todo
            if sim.step_count >= self.steps or sim.diverged:
                self._finish_current()

    def step_cell(self) -> CellResult | None:
        """The next finished run (finishing one if none is waiting); None when the map is full
        and every result has been handed out."""
        while not self._fresh and not self.finished:
            if self.workers > 1:
                self._collect(1.0)
                continue
            if self._current is None:
                self._start_next_run()
            sim = self._current[3]
            self._advance(self.steps - sim.step_count)
            if self._current is not None and self._current[3] is sim:  # diverged at the last step
                self._finish_current()
        return self._fresh.pop(0) if self._fresh else None

    def cells(self):
        """Yield each run's result as it finishes, until the map is full."""
        while (result := self.step_cell()) is not None:
            yield result

    def run(self) -> float:
        """Fill the whole map headless; returns the wall time in seconds."""
        start = time.perf_counter()
        for _ in self.cells():
            pass
        self.close()
        return time.perf_counter() - start

    def _start_next_run(self) -> None:
        row, column, k = self._waiting.pop(0)
        self._current_seconds = 0.0
        start = time.process_time()
        sim = _CellSimulation(**self.cell_params(row, column, k))
        self._current_seconds += time.process_time() - start
        self._current = (row, column, k, sim)

    def _finish_current(self) -> None:
        row, column, k, sim = self._current
        self._store(k, _finish(sim, row, column, self._current_seconds), count_steps=False)
        self._current = None

    def _store(self, k: int, result: CellResult, count_steps: bool = True) -> None:
        self.runs[result.row][result.column][k] = result
        self._done += 1
        self._fresh.append(result)
        if count_steps:
            self.step_count += result.steps

    def _collect(self, timeout: float | None) -> None:
        """Keep every worker busy (two runs queued a worker), then store what has finished."""
        if self.finished:
            return
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
        while self._waiting and len(self._futures) < 2 * self.workers:
            row, column, k = self._waiting.pop(0)
            future = self._pool.apply_async(train_cell, (row, column,
                                                         self.cell_params(row, column, k),
                                                         self.steps))
            self._futures[future] = (row, column, k)
        oldest = next(iter(self._futures))
        oldest.wait(timeout)
        # In the order they were started, so the map fills in the same order every time.
        for future in [f for f in self._futures if f.ready()]:
            _, _, k = self._futures.pop(future)
            self._store(k, future.get())
        if self.finished:
            self.close()

    # -- reading --------------------------------------------------------------------------
    @property
    def results(self) -> list[CellResult]:
        """Every finished run, cell by cell."""
        return [r for row in self.runs for cell in row for r in cell if r is not None]

    def cell_regimes(self, row: int, column: int) -> list[str]:
        return [r.regime for r in self.runs[row][column] if r is not None]

    def paper_points(self) -> list[dict]:
        """DINO App. D's settings, with the toy's agreement over seeds where it is a cell."""
        points = []
        for point in PAPER_POINTS:
            cell = self._cell_at(point.teacher_temperature, point.center_momentum)
            regimes = self.cell_regimes(*cell) if cell else []
            agreeing = sum(regime_agrees(r, point.outcome) for r in regimes)
            points.append({
                **asdict(point),
                "cell": cell,
                "regime": majority(regimes),
                "seeds_done": len(regimes),
                "seeds_agreeing": agreeing,
                "agree_fraction": agreeing / len(regimes) if regimes else None,
                # The majority's agreement: None until a seed of the cell has finished.
                "agrees": (agreeing * 2 > len(regimes)) if regimes else None,
            })
        return points

    def _cell_at(self, temperature: float, momentum: float) -> tuple[int, int] | None:
        rows = [r for r, t in enumerate(self.teacher_temperatures) if math.isclose(t, temperature)]
        columns = [c for c, m in enumerate(self.center_momenta) if math.isclose(m, momentum)]
        return (rows[0], columns[0]) if rows and columns else None

    def snapshot(self) -> dict:
        """Fresh arrays for the panel: per-cell medians over finished seeds (NaN where none), the
        majority regime (-1 where none) and each regime's fraction of the cell's seeds."""
        shape = self.shape
        values = {name: np.full(shape, np.nan) for name in RECORDED}
        regime = np.full(shape, -1, dtype=int)
        regime_fractions = np.zeros(shape + (len(REGIMES),))
        seeds_done = np.zeros(shape, dtype=int)
        for r in range(shape[0]):
            for c in range(shape[1]):
                finished = [run for run in self.runs[r][c] if run is not None]
                if not finished:
                    continue
                for name in RECORDED:
                    values[name][r, c] = float(np.median([getattr(run, name) for run in finished]))
                regimes = [run.regime for run in finished]
                regime[r, c] = REGIMES.index(majority(regimes))
                regime_fractions[r, c] = fractions(regimes)
                seeds_done[r, c] = len(finished)
        in_flight = [(r, c) for r, c, _ in self._futures.values()]
        current = None
        if self._current is not None:
            r, c, _, sim = self._current
            current = {"row": r, "column": c, "step": sim.step_count, "steps": self.steps}
            in_flight.append((r, c))
        return {
            "simulation": self.NAME,
            "params": dict(self.params),
            "steps_per_cell": self.steps,
            "seeds": self.seeds,
            "workers": self.workers,
            "teacher_temperatures": np.array(self.teacher_temperatures),
            "center_momenta": np.array(self.center_momenta),
            **values,
            "regime": regime,
            "regime_fractions": regime_fractions,
            "seeds_done": seeds_done,
            "regimes": REGIMES,
            "num_prototypes": self.params["num_prototypes"],
            "log_k": math.log(self.params["num_prototypes"]),
            "cells_done": self.cells_done,
            "cells_total": shape[0] * shape[1],
            "runs_done": self.runs_done,
            "runs_total": self.runs_total,
            "current": current,
            "in_flight": sorted(set(in_flight)),
            "finished": self.finished,
            "paper_points": self.paper_points(),
            "diverged_at_step": None,
            "divergence_reason": "",
        }

    def summary(self, seconds: float) -> dict:
        """One record a finished run, like DINOSimulation.summary, with its regime; one record a
        cell with its regime fractions."""
        runs = [{
            "simulation": DINOSimulation.NAME,
            "config": self.cell_params(cell.row, cell.column, cell.seed - self.params["seed"]),
            "steps": cell.steps,
            "seconds": round(cell.seconds, 4),
            "diverged": cell.diverged_at_step is not None,
            "diverged_at_step": cell.diverged_at_step,
            "final": {name: getattr(cell, name) for name in RECORDED},
            "regime": cell.regime,
            "history": cell.history,
        } for cell in self.results]
        cells = []
        for r, temperature in enumerate(self.teacher_temperatures):
            for c, momentum in enumerate(self.center_momenta):
                regimes = self.cell_regimes(r, c)
                if regimes:
                    cells.append({"teacher_temperature": temperature, "center_momentum": momentum,
                                  "seeds": len(regimes), "majority": majority(regimes),
                                  "fractions": dict(zip(REGIMES, fractions(regimes)))})
        return {
            "simulation": self.NAME,
            "config": {**self.params, "steps_per_cell": self.steps, "seeds": self.seeds,
                       "teacher_temperatures": list(self.teacher_temperatures),
                       "center_momenta": list(self.center_momenta)},
            "seconds": round(seconds, 4),
            "workers": self.workers,
            "cells_done": self.cells_done,
            "cells_total": self.shape[0] * self.shape[1],
            "cells": cells,
            "runs": runs,
            "paper_points": self.paper_points(),
        }
