"""The ablation page's simulation: a BYOL guard grid, a DINO regime map and multi-crop's locals
ablation (engine.locals_ablation) behind one interface.

The engine (thread or process) drives it like any Simulation; only the part in view trains.
Pure numpy, no Qt: the engine process imports it without loading the GUI. The locals ablation
needs photos: ``photo_source`` (a callable giving a PhotoSet; the app's decodes the bundled files)
is called only when that part is first shown, so the other parts never pay for it.
"""
from __future__ import annotations

from typing import Callable

from engine.byol import BYOL_PARAMS
from engine.byol_grid import BYOLGrid
from engine.dino_regime_map import DINORegimeMap
from engine.locals_ablation import LocalsAblation
from engine.params import ParameterError, ParamSpec, spec_table
from engine.photos import PhotoSet, PhotoSetError

PARTS = ("byol", "dino", "multicrop")
STEPS_PER_CELL = (1500, 500, 200)  # the first is the map's default (and the command's)
SEED_SPEC = spec_table(BYOL_PARAMS)["seed"]
STEPS_PER_CELL_SPEC = ParamSpec("steps_per_cell", int, STEPS_PER_CELL[0], "Steps a cell",
                                "Training steps of every cell of the regime map.", 1, 1_000_000,
                                live=False)


class AblationSimulation:
    """A BYOLGrid, a DINORegimeMap and a LocalsAblation behind the Simulation interface.

    ``step`` trains the part in view (parameter ``part``: "byol", "dino" or "multicrop"); ``reset``
    starts that part afresh; ``snapshot`` holds every part (the idle ones' are cached: they do not
    change; the locals ablation's is None until it is first shown).
    """

    NAME = "ablation"
    PARAMS = (SEED_SPEC, STEPS_PER_CELL_SPEC)
    CHOICE_PARAMS = {"part": PARTS}  # `screenshot --set part=dino`
    DEFAULT_STEPS = BYOLGrid.DEFAULT_STEPS

    def __init__(self, part: str = "byol", steps_per_cell: int = STEPS_PER_CELL[0], seed: int = 0,
                 grid=None, regime_map=None, photo_source: Callable[[], PhotoSet] | None = None,
                 locals_ablation: LocalsAblation | None = None):
        self.grid = grid if grid is not None else BYOLGrid(seed=seed)
        self.regime_map = (regime_map if regime_map is not None
                           else DINORegimeMap(steps=steps_per_cell, seed=seed))
        self.photo_source = photo_source
        self.locals_ablation = locals_ablation
        self._seed = seed  # the locals ablation starts from the page's seed when first shown
        self._cached: dict[str, dict | None] = {part: None for part in PARTS}
        self.part = "byol"
        self.set_param("part", part)

    @property
    def params(self) -> dict:
        return {"seed": self.active.params["seed"], "steps_per_cell": self.regime_map.steps, "part": self.part}

    @property
    def active(self):
        return {"byol": self.grid, "dino": self.regime_map, "multicrop": self.locals_ablation}[self.part]

    @property
    def step_count(self) -> int:
        return self.active.step_count

    @property
    def diverged(self) -> bool:
        return self.part in ("byol", "multicrop") and self.active.diverged

    @property
    def divergence_reason(self) -> str:
        return self.active.divergence_reason if self.diverged else ""

    def step(self, count: int = 1) -> None:
        self._cached[self.part] = None
        self.active.step(count)

    def reset(self, seed: int | None = None) -> None:
        self._cached[self.part] = None
        if seed is not None:
            self._seed = SEED_SPEC.validate(seed)
        self.active.reset(seed)

    def set_param(self, name: str, value: object) -> None:
        if name == "part":
            if value not in PARTS:
                raise ParameterError(f"part must be one of {', '.join(PARTS)}, not {value!r}")
            if value == "multicrop" and self.locals_ablation is None:
                self.locals_ablation = self._build_locals_ablation()
            self.part = value
        elif name == "steps_per_cell":
            steps = STEPS_PER_CELL_SPEC.validate(value)
            if steps != self.regime_map.steps:
                old = self.regime_map
                old.close()
                self.regime_map = DINORegimeMap(
                    old.teacher_temperatures, old.center_momenta, steps=steps,
                    seeds=old.num_seeds, workers=old.workers, **old.params)
                self._cached["dino"] = None
        elif name == "seed":
            self._seed = SEED_SPEC.validate(value)
            self.active.set_param("seed", value)  # takes effect on the next reset, as elsewhere
        else:
            raise ParameterError(f"unknown parameter {name!r} for the ablation page")

    def _build_locals_ablation(self) -> LocalsAblation:
        if self.photo_source is None:
            raise ParameterError("the multi-crop locals ablation needs photos, and this page was given none")
        try:
            photos = self.photo_source()
        except PhotoSetError as error:
            raise ParameterError(str(error)) from None
        return LocalsAblation(photos, seed=self._seed)

    def _part_snapshot(self, part: str) -> dict | None:
        if part == "multicrop" and self.locals_ablation is None:
            return None
        if self._cached[part] is None:
            if part == "byol":
                snapshot = self.grid.snapshot()
            elif part == "multicrop":
                snapshot = self.locals_ablation.snapshot()
            else:
                snapshot = self.regime_map.snapshot()
                snapshot["step"] = self.regime_map.step_count
            self._cached[part] = snapshot
        return self._cached[part]

    def snapshot(self) -> dict:
        return {
            "simulation": self.NAME,
            "part": self.part,
            "step": self.step_count,
            "params": self.params,
            "byol": self._part_snapshot("byol"),
            "dino": self._part_snapshot("dino"),
            "multicrop": self._part_snapshot("multicrop"),
            "diverged_at_step": self.active.step_count if self.diverged else None,
            "divergence_reason": self.divergence_reason,
        }
