"""The DINO regime map: teacher temperature x centre momentum, one DINO run a cell.

Each cell is a ``DINOSimulation`` with the cell's teacher temperature and centre momentum and
every other setting shared, trained from the same seed (same initial networks, same data). The
cell's final teacher entropy, prototype-usage entropy and KL(teacher || student) give its regime
through ``dino_verdict``: one prototype dominates (sharpening wins), healthy, or uniform
(centering wins) (DINO Fig. 7).

The map fills in incrementally so a panel can show it cell by cell while the lecturer talks:
``step(count)`` advances the current cell by up to ``count`` training steps (starting the next
cell when one finishes), ``step_cell()`` finishes the current cell, ``cells()`` yields each result
as it comes. Stopping is not calling them; resuming is calling them again.

Cells run one after another with DINOSimulation itself rather than a batched copy of it, so a
cell is exactly what the DINO page shows for the same settings. Cells evaluate every
``EVAL_INTERVAL`` = 100 steps instead of 10: evaluation does not touch training, so the final
entropies are the same, at a fraction of the evaluation cost (the final ``loss`` is then the mean
over the last 100 steps rather than 10).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from engine.dino import DINO_PARAMS, DINOSimulation, dino_verdict
from engine.params import ParameterError, spec_table, validate_params

AXES = ("teacher_temperature", "center_momentum")
REGIMES = ("one prototype dominates", "healthy", "uniform")  # low to high teacher entropy
MAP_PARAMS = tuple(spec for spec in DINO_PARAMS if spec.name not in AXES)
RECORDED = ("teacher_entropy", "usage_entropy", "kl_teacher_student", "knn_accuracy", "loss")

# Log-spaced by sqrt(2) from 0.01 to 0.16 around DINO's 0.04, so 0.02, 0.04 and 0.08 (App. D)
# are cells; the student's temperature is 0.1.
DEFAULT_TEACHER_TEMPERATURES = tuple(0.04 * 2.0 ** (k / 2) for k in range(-4, 5))
# DINO App. D ran 0, 0.9, 0.99, 0.999; 0.5 and 0.997 fill the gaps where the regime changes.
DEFAULT_CENTER_MOMENTA = (0.0, 0.5, 0.9, 0.99, 0.997, 0.999)


@dataclass(frozen=True)
class PaperPoint:
    """One setting DINO App. D ran, and what it found (ImageNet top-1 after 100 epochs)."""

    teacher_temperature: float
    center_momentum: float
    outcome: str  # "healthy" or "collapse"
    top1: float
    source: str
    note: str


_APP_D = "DINO App. D"
# App. D varies one setting at a time; the other is taken at DINO's default (teacher temperature
# 0.04, centre momentum 0.9), which App. D does not restate. Teacher temperature 0 (43.9%) has no
# place on a log axis and is left out.
PAPER_POINTS: tuple[PaperPoint, ...] = (
    PaperPoint(0.04, 0.0, "healthy", 69.1, _APP_D, "centre momentum 0"),
    PaperPoint(0.04, 0.9, "healthy", 69.7, _APP_D, "centre momentum 0.9 (DINO's default)"),
    PaperPoint(0.04, 0.99, "healthy", 69.4, _APP_D, "centre momentum 0.99"),
    PaperPoint(0.04, 0.999, "collapse", 0.1, _APP_D, "centre momentum 0.999"),
    PaperPoint(0.02, 0.9, "healthy", 66.7, _APP_D, "teacher temperature 0.02"),
    PaperPoint(0.04, 0.9, "healthy", 69.6, _APP_D, "teacher temperature 0.04"),
    PaperPoint(0.06, 0.9, "healthy", 68.7, _APP_D, "teacher temperature 0.06"),
    PaperPoint(0.08, 0.9, "collapse", 0.1, _APP_D, "teacher temperature 0.08"),
)


def regime_agrees(regime: str, outcome: str) -> bool:
    """Does a toy regime match a paper outcome? The paper's "collapse" does not say which kind, so
    either collapse regime matches it."""
    return (regime == "healthy") == (outcome == "healthy")


@dataclass(frozen=True)
class CellResult:
    """The outcome of one cell."""

    row: int  # index of the teacher temperature
    column: int  # index of the centre momentum
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
    history: dict  # the cell's evaluations (BoundedHistory.as_dict)


class _CellSimulation(DINOSimulation):
    """DINOSimulation evaluating less often: the map needs the final values only."""

    EVAL_INTERVAL = 100
    DENSE_STEPS = 0  # nor densely after a reset


class DINORegimeMap:
    """A grid of DINO runs over teacher temperature (rows) x centre momentum (columns)."""

    NAME = "dino_regime_map"
    PARAMS = MAP_PARAMS
    DEFAULT_STEPS = DINOSimulation.DEFAULT_STEPS

    def __init__(self, teacher_temperatures=DEFAULT_TEACHER_TEMPERATURES,
                 center_momenta=DEFAULT_CENTER_MOMENTA, steps: int | None = None,
                 **params: object):
        specs = spec_table(DINO_PARAMS)
        self.teacher_temperatures = tuple(
            specs["teacher_temperature"].validate(t) for t in teacher_temperatures)
        self.center_momenta = tuple(specs["center_momentum"].validate(m) for m in center_momenta)
        if not self.teacher_temperatures or not self.center_momenta:
            raise ParameterError("the regime map needs at least one temperature and one momentum")
        steps = self.DEFAULT_STEPS if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1_000_000:
            raise ParameterError(f"steps must be a whole number from 1 to 1000000, not {steps!r}")
        self.steps = steps
        self.params = validate_params(self.PARAMS, params)
        self._specs = spec_table(self.PARAMS)
        self.reset()

    # -- parameters and life cycle --------------------------------------------------------
    def set_param(self, name: str, value: object) -> None:
        """Validate and store a shared parameter; it takes effect on the next ``reset``, so
        every cell of a map is trained with the same settings."""
        if name not in self._specs:
            raise ParameterError(f"unknown parameter {name!r} for {self.NAME}")
        self.params[name] = self._specs[name].validate(value)

    def reset(self, seed: int | None = None) -> None:
        """Forget every cell; the next step starts the first cell again."""
        if seed is not None:
            self.params["seed"] = self._specs["seed"].validate(seed)
        shape = (len(self.teacher_temperatures), len(self.center_momenta))
        self.results: list[list[CellResult | None]] = [[None] * shape[1] for _ in range(shape[0])]
        self._order = [(r, c) for r in range(shape[0]) for c in range(shape[1])]
        self._next = 0  # index in _order of the cell to start next
        self._current: tuple[int, int, DINOSimulation] | None = None
        self._current_seconds = 0.0
        self.step_count = 0  # training steps over all cells

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.teacher_temperatures), len(self.center_momenta)

    @property
    def cells_done(self) -> int:
        return self._next - (self._current is not None)

    @property
    def finished(self) -> bool:
        return self._current is None and self._next == len(self._order)

    # The engine thread's Simulation interface: a diverged cell is a result, not a stop.
    diverged = False
    divergence_reason = ""

    def cell_params(self, row: int, column: int) -> dict:
        """The full DINOSimulation parameters of one cell."""
        return {**self.params, "teacher_temperature": self.teacher_temperatures[row],
                "center_momentum": self.center_momenta[column]}

    # -- filling in -----------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        """Advance by up to ``count`` training steps, cell after cell; nothing once finished."""
        remaining = count
        while remaining > 0 and not self.finished:
            if self._current is None:
                self._start_next_cell()
            _, _, sim = self._current
            todo = min(remaining, self.steps - sim.step_count)
            start = time.perf_counter()
            before = sim.step_count
            sim.step(todo)
            self._current_seconds += time.perf_counter() - start
            self.step_count += sim.step_count - before
            remaining -= todo
            if sim.step_count >= self.steps or sim.diverged:
                self._finish_cell()

    def step_cell(self) -> CellResult | None:
        """Finish the current cell (or run the next one); its result, or None when finished."""
        if self.finished:
            return None
        if self._current is None:
            self._start_next_cell()
        row, column, sim = self._current
        self.step(self.steps - sim.step_count)
        if self._current is not None and self._current[2] is sim:  # diverged at the last step
            self._finish_cell()
        return self.results[row][column]

    def cells(self):
        """Yield each cell's result as it finishes, until the map is full."""
        while not self.finished:
            yield self.step_cell()

    def run(self) -> float:
        """Fill the whole map headless; returns the wall time in seconds."""
        start = time.perf_counter()
        for _ in self.cells():
            pass
        return time.perf_counter() - start

    def _start_next_cell(self) -> None:
        row, column = self._order[self._next]
        self._next += 1
        self._current_seconds = 0.0
        start = time.perf_counter()
        sim = _CellSimulation(**self.cell_params(row, column))
        self._current_seconds += time.perf_counter() - start
        self._current = (row, column, sim)

    def _finish_cell(self) -> None:
        row, column, sim = self._current
        start = time.perf_counter()
        # As Simulation.run: a last evaluation at the final step.
        if sim.step_count % sim.EVAL_INTERVAL and not sim.diverged:
            sim._record()
        sim.refresh_latest()
        latest = sim.latest
        self.results[row][column] = CellResult(
            row=row, column=column,
            teacher_temperature=self.teacher_temperatures[row],
            center_momentum=self.center_momenta[column],
            steps=sim.step_count, diverged_at_step=sim.diverged_at_step,
            **{name: float(latest[name]) for name in RECORDED},
            regime=dino_verdict(latest["teacher_entropy"], latest["usage_entropy"],
                                sim.num_prototypes),
            seconds=self._current_seconds + time.perf_counter() - start,
            history=sim.history.as_dict(),
        )
        self._current = None

    # -- reading --------------------------------------------------------------------------
    def paper_points(self) -> list[dict]:
        """DINO App. D's settings, with the toy's regime where the setting is a cell."""
        points = []
        for point in PAPER_POINTS:
            cell = self._cell_at(point.teacher_temperature, point.center_momentum)
            result = self.results[cell[0]][cell[1]] if cell else None
            points.append({
                **asdict(point),
                "cell": cell,
                "regime": result.regime if result else None,
                "agrees": regime_agrees(result.regime, point.outcome) if result else None,
            })
        return points

    def _cell_at(self, temperature: float, momentum: float) -> tuple[int, int] | None:
        rows = [r for r, t in enumerate(self.teacher_temperatures) if math.isclose(t, temperature)]
        columns = [c for c, m in enumerate(self.center_momenta) if math.isclose(m, momentum)]
        return (rows[0], columns[0]) if rows and columns else None

    def snapshot(self) -> dict:
        """Fresh arrays for the panel: per-cell values (NaN, regime -1 where not yet trained)."""
        shape = self.shape
        values = {name: np.full(shape, np.nan) for name in RECORDED}
        regime = np.full(shape, -1, dtype=int)
        for row in self.results:
            for cell in row:
                if cell is None:
                    continue
                for name in RECORDED:
                    values[name][cell.row, cell.column] = getattr(cell, name)
                regime[cell.row, cell.column] = REGIMES.index(cell.regime)
        current = None
        if self._current is not None:
            r, c, sim = self._current
            current = {"row": r, "column": c, "step": sim.step_count, "steps": self.steps}
        return {
            "simulation": self.NAME,
            "params": dict(self.params),
            "steps_per_cell": self.steps,
            "teacher_temperatures": np.array(self.teacher_temperatures),
            "center_momenta": np.array(self.center_momenta),
            **values,
            "regime": regime,
            "regimes": REGIMES,
            "num_prototypes": self.params["num_prototypes"],
            "log_k": math.log(self.params["num_prototypes"]),
            "cells_done": self.cells_done,
            "cells_total": len(self._order),
            "current": current,
            "finished": self.finished,
            "paper_points": self.paper_points(),
            "diverged_at_step": None,
            "divergence_reason": "",
        }

    def summary(self, seconds: float) -> dict:
        """One record a finished cell, like DINOSimulation.summary, with its regime."""
        runs = []
        for row in self.results:
            for cell in row:
                if cell is None:
                    continue
                runs.append({
                    "simulation": DINOSimulation.NAME,
                    "config": self.cell_params(cell.row, cell.column),
                    "steps": cell.steps,
                    "seconds": round(cell.seconds, 4),
                    "diverged": cell.diverged_at_step is not None,
                    "diverged_at_step": cell.diverged_at_step,
                    "final": {name: getattr(cell, name) for name in RECORDED},
                    "regime": cell.regime,
                    "history": cell.history,
                })
        return {
            "simulation": self.NAME,
            "config": {**self.params, "steps_per_cell": self.steps,
                       "teacher_temperatures": list(self.teacher_temperatures),
                       "center_momenta": list(self.center_momenta)},
            "seconds": round(seconds, 4),
            "cells_done": self.cells_done,
            "cells_total": len(self._order),
            "runs": runs,
            "paper_points": self.paper_points(),
        }
