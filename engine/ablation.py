"""The ablation page's simulation: a BYOL guard grid and a DINO regime map behind one interface.

The engine (thread or process) drives it like any Simulation; only the part in view trains.
Pure numpy, no Qt: the engine process imports it without loading the GUI.
"""
from __future__ import annotations

from engine.byol import BYOL_PARAMS
from engine.byol_grid import BYOLGrid
from engine.dino_regime_map import DINORegimeMap
from engine.params import ParameterError, ParamSpec, spec_table

PARTS = ("byol", "dino")
STEPS_PER_CELL = (1500, 500, 200)  # the first is the map's default (and the command's)
SEED_SPEC = spec_table(BYOL_PARAMS)["seed"]
STEPS_PER_CELL_SPEC = ParamSpec("steps_per_cell", int, STEPS_PER_CELL[0], "Steps a cell",
                                "Training steps of every cell of the regime map.", 1, 1_000_000,
                                live=False)


class AblationSimulation:
    """A BYOLGrid and a DINORegimeMap behind the Simulation interface.

    ``step`` trains the part in view (parameter ``part``: "byol" or "dino"); ``reset`` starts that
    part afresh; ``snapshot`` holds both parts (the idle one's is cached: it does not change).
    """

    NAME = "ablation"
    PARAMS = (SEED_SPEC, STEPS_PER_CELL_SPEC)
    DEFAULT_STEPS = BYOLGrid.DEFAULT_STEPS

    def __init__(self, part: str = "byol", steps_per_cell: int = STEPS_PER_CELL[0], seed: int = 0,
                 grid=None, regime_map=None):
        self.part = part
        self.grid = grid if grid is not None else BYOLGrid(seed=seed)
        self.regime_map = (regime_map if regime_map is not None
                           else DINORegimeMap(steps=steps_per_cell, seed=seed))
        self._cached: dict[str, dict | None] = {"byol": None, "dino": None}

    @property
    def params(self) -> dict:
        active = self.grid if self.part == "byol" else self.regime_map
        return {"seed": active.params["seed"], "steps_per_cell": self.regime_map.steps, "part": self.part}

    @property
    def active(self):
        return self.grid if self.part == "byol" else self.regime_map

    @property
    def step_count(self) -> int:
        return self.active.step_count

    @property
    def diverged(self) -> bool:
        return self.part == "byol" and self.grid.diverged

    @property
    def divergence_reason(self) -> str:
        return self.grid.divergence_reason if self.diverged else ""

    def step(self, count: int = 1) -> None:
        self._cached[self.part] = None
        self.active.step(count)

    def reset(self, seed: int | None = None) -> None:
        self._cached[self.part] = None
        self.active.reset(seed)

    def set_param(self, name: str, value: object) -> None:
        if name == "part":
            if value not in PARTS:
                raise ParameterError(f"part must be one of {', '.join(PARTS)}, not {value!r}")
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
            self.active.set_param("seed", value)  # takes effect on the next reset, as elsewhere
        else:
            raise ParameterError(f"unknown parameter {name!r} for the ablation page")

    def _part_snapshot(self, part: str) -> dict:
        if self._cached[part] is None:
            if part == "byol":
                snapshot = self.grid.snapshot()
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
            "diverged_at_step": self.grid.step_count if self.diverged else None,
            "divergence_reason": self.divergence_reason,
        }
