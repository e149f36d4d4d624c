"""What every simulation offers the engine thread, the panels and the command line."""
from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from engine.history import BoundedHistory
from engine.params import ParamSpec, ParameterError, spec_table, validate_params
from engine.verdicts import DIVERGED, UNTRAINED, VerdictRules, VerdictTracker

LECTURE = "lecture"  # the engine's speed setting that asks the simulation for its rate (lecture_rate)


@runtime_checkable
class Trainable(Protocol):
    """What the engine worker (thread or process) needs of a page's simulation, and all it uses.

    Simulation subclasses offer it; so does the ablation page's adapter, which is not one."""

    params: dict
    step_count: int

    @property
    def diverged(self) -> bool: ...

    def step(self, count: int = 1) -> None: ...

    def reset(self, seed: int | None = None) -> None: ...

    def set_param(self, name: str, value: object) -> None: ...

    def snapshot(self) -> dict: ...


def build_simulation(factory: Callable[[], Trainable], params: dict) -> tuple[Trainable, list[str]]:
    """A new simulation with every parameter in ``params`` applied before its first step.

    A restarted engine must run what the page's controls show, not the defaults. Each refused
    value is left at its default and its message returned; the simulation is then reset, so
    parameters read only when networks are built (the seed among them) take effect too."""
    simulation = factory()
    refusals = []
    for name, value in params.items():
        try:
            simulation.set_param(name, value)
        except ParameterError as error:
            refusals.append(str(error))
    if params:
        simulation.reset()
    return simulation, refusals


class Simulation(ABC):
    """A plain object: parameters, ``step()``, ``snapshot()``.

    Subclasses declare ``NAME``, ``PARAMS`` and ``METRICS`` and implement ``_build`` (fresh
    networks and data from the seed), ``_train_step`` (one optimisation step, returning the
    training loss) and ``_evaluate`` (metrics on the fixed evaluation set).
    """

    NAME: str = ""
    PARAMS: tuple[ParamSpec, ...] = ()
    METRICS: tuple[str, ...] = ()
    # Metrics that are NaN while their part is switched off (a twin not trained): not a divergence.
    OPTIONAL_METRICS: tuple[str, ...] = ()
    EVAL_INTERVAL: int = 10
    # Metrics at every step for this long after a reset or a change: a 10-step crash draws as a curve.
    DENSE_STEPS: int = 200
    DEFAULT_STEPS: int = 1000
    # "Lecture pace": steps/s = per_step x steps since the last change (reset, a control moved, or a
    # new verdict shown), between a floor and a ceiling: slow while things change, fast while they settle.
    LECTURE_PACE: tuple[float, float, float] = (3.0, 0.5, 600.0)  # floor, per step, ceiling
    VERDICT_RULES: VerdictRules | None = None  # None: the simulation gives no verdict
    DISPLAY_PARAMS: tuple[str, ...] = ()  # parameters that change only what is shown, not training

    def __init__(self, **params: object):
        self.params = validate_params(self.PARAMS, params)
        self._specs = spec_table(self.PARAMS)
        self.reset()

    # -- parameters -----------------------------------------------------------------------
    def set_param(self, name: str, value: object) -> None:
        """Validate and apply one parameter; live ones act from the next step."""
        if name not in self._specs:
            raise ParameterError(f"unknown parameter {name!r} for {self.NAME}")
        value = self._specs[name].validate(value)
        old = self.params[name]
        self.params[name] = value
        if old != value:
            if self._specs[name].live and name not in self.DISPLAY_PARAMS:
                self._dense_until = self.step_count + self.DENSE_STEPS
                self._changed_at = self.step_count
            self._on_param_changed(name, old, value)

    def _on_param_changed(self, name: str, old: object, new: object) -> None:
        """Hook for parameters whose change needs more than a new value (e.g. a new teacher)."""

    # -- life cycle -----------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Fresh networks and data from the seed: the same seed gives the same run."""
        if seed is not None:
            self.params["seed"] = self._specs["seed"].validate(seed)
        self.step_count = 0
        self.diverged_at_step: int | None = None
        self.divergence_reason = ""
        self._loss_sum = 0.0
        self._loss_count = 0
        self.history = BoundedHistory(self.METRICS, keep_first=self.DENSE_STEPS + 1)
        self._dense_until = self.DENSE_STEPS
        self._changed_at = 0
        self._verdicts = VerdictTracker(self.VERDICT_RULES) if self.VERDICT_RULES else None
        self.verdict = UNTRAINED if self.VERDICT_RULES else ""
        self._build()
        self.latest = self._evaluate(float("nan"))
        self.history.record(0, self.latest)

    @property
    def diverged(self) -> bool:
        return self.diverged_at_step is not None

    def step(self, count: int = 1) -> None:
        """Run up to ``count`` optimisation steps; stops at the step where training diverges."""
        for _ in range(count):
            if self.diverged:
                return
            with np.errstate(all="ignore"):
                loss = self._train_step()
            self.step_count += 1
            if not math.isfinite(loss) or not self._weights_finite():
                self.diverged_at_step = self.step_count
                self.divergence_reason = self._divergence_cause()
                return
            self._loss_sum += loss
            self._loss_count += 1
            if self.step_count % self.EVAL_INTERVAL == 0 or self.step_count <= self._dense_until:
                self._record()

    def _record(self) -> None:
        mean_loss = self._loss_sum / max(self._loss_count, 1)
        self._loss_sum, self._loss_count = 0.0, 0
        with np.errstate(all="ignore"):
            metrics = self._evaluate(mean_loss)
        if all(math.isfinite(v) for k, v in metrics.items()
               if isinstance(v, float) and k not in self.OPTIONAL_METRICS):
            self.latest = metrics
            self.history.record(self.step_count, metrics)
            if self._verdicts is not None:
                verdict = self._verdicts.update(self.step_count, self.raw_verdict(metrics))
                if verdict != self.verdict and self.step_count > 1:
                    self._changed_at = self.step_count  # a new verdict: slow down to show what follows
                self.verdict = verdict

    def run(self, steps: int) -> float:
        """Train ``steps`` steps headless; returns the wall time in seconds."""
        start = time.perf_counter()
        self.step(steps)
        self.finish()
        return time.perf_counter() - start

    def finish(self) -> None:
        """End of a headless run: evaluate the last step too, whatever the evaluation interval."""
        if self.step_count % self.EVAL_INTERVAL and not self.diverged:
            self._record()
        self.refresh_latest()

    def lecture_rate(self) -> float:
        """Steps per second at lecture pace now (see LECTURE_PACE)."""
        floor, per_step, ceiling = self.LECTURE_PACE
        return min(max(floor, per_step * (self.step_count - self._changed_at)), ceiling)

    def raw_verdict(self, metrics: dict) -> str:
        """Hook: the verdict one evaluation's metrics give, before it has held (see engine/verdicts.py)."""
        return ""

    def refresh_latest(self) -> None:
        """Hook: bring metrics that are refreshed less often than every evaluation up to date."""

    def _divergence_cause(self) -> str:
        return (
            f"the loss or the weights became infinite or NaN at step {self.step_count}; "
            f"the learning rate ({self.params['learning_rate']:g}) is the likely cause"
        )

    # -- subclass hooks -------------------------------------------------------------------
    @abstractmethod
    def _build(self) -> None: ...

    @abstractmethod
    def _train_step(self) -> float: ...

    @abstractmethod
    def _evaluate(self, loss: float) -> dict[str, float]: ...

    @abstractmethod
    def _weights_finite(self) -> bool: ...

    @abstractmethod
    def snapshot(self) -> dict: ...

    # -- summaries ------------------------------------------------------------------------
    def summary(self, seconds: float) -> dict:
        """What ``distill-lab run --json`` prints."""
        return {
            "simulation": self.NAME,
            "config": dict(self.params),
            "steps": self.step_count,
            "seconds": round(seconds, 4),
            "diverged": self.diverged,
            "diverged_at_step": self.diverged_at_step,
            "final": {**({"verdict": DIVERGED if self.diverged else self.verdict}
                         if self.VERDICT_RULES else {}), **self.latest},
            "history": self.history.as_dict(),
        }


def all_finite(arrays: list[np.ndarray]) -> bool:
    """True when every entry of every array is finite."""
    return all(np.isfinite(a).all() for a in arrays)
