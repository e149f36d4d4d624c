"""The toy's DINO Table 8: multi-crop DINO with 0, 2, 4, 6, 8 and 10 local crops, side by side.

Six MultiCropSimulation runs on the same photos and seed (twin off: the 0-locals run is the twin,
trained on the same global crops), stepped in lockstep so every curve has reached the same step.
Used by `distill-lab ablation multicrop` and by the Ablations page's "Multi-crop locals" tab.
Pure numpy: the photos come as a PhotoSet (the caller decodes the files).
"""
from __future__ import annotations

import time

from engine.multicrop_training import MULTICROP_TRAINING_PARAMS, MultiCropSimulation
from engine.params import ParameterError, spec_table
from engine.photos import PhotoSet

LOCALS = (0, 2, 4, 6, 8, 10)  # local crops beside the 2 global ones, one run each
PUBLISHED = "DINO Table 8: 2x224 67.8 -> 2x224 + 10x96 74.6 top-1 (100 epochs)"
SEED_SPEC = spec_table(MULTICROP_TRAINING_PARAMS)["seed"]


class LocalsAblation:
    """Six multi-crop runs, one a number of local crops, trained together up to ``steps``."""

    DEFAULT_STEPS = MultiCropSimulation.DEFAULT_STEPS

    def __init__(self, photos: PhotoSet, seed: int = 0, steps: int = DEFAULT_STEPS,
                 simulation_class: type[MultiCropSimulation] = MultiCropSimulation):
        self.photos = photos
        self.steps = steps
        self.simulation_class = simulation_class
        self.params = {"seed": SEED_SPEC.validate(seed)}
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        """Six fresh runs from the seed (the same seed gives the same runs)."""
        if seed is not None:
            self.params["seed"] = SEED_SPEC.validate(seed)
        self.runs = [self.simulation_class(self.photos, seed=self.params["seed"], num_local=num_local, twin=False)
                     for num_local in LOCALS]
        self.seconds = [0.0] * len(self.runs)  # each run's own training time, for the command's table
        self.step_count = 0

    def set_param(self, name: str, value: object) -> None:
        """Only the seed, which takes effect on the next reset (as on every page)."""
        if name != "seed":
            raise ParameterError(f"unknown parameter {name!r} for the locals ablation")
        self.params["seed"] = SEED_SPEC.validate(value)

    @property
    def finished(self) -> bool:
        return self.step_count >= self.steps

    @property
    def diverged(self) -> bool:
        """Every run has diverged (one that diverges stops there; the others go on)."""
        return all(run.diverged for run in self.runs)

    @property
    def divergence_reason(self) -> str:
        return "; ".join(f"{run.params['num_local']} locals: {run.divergence_reason}"
                         for run in self.runs if run.diverged)

    def step(self, count: int = 1) -> None:
        """Up to ``count`` steps of every run, one step of each in turn, never past ``steps``."""
        if self.finished:
            return
        for _ in range(min(count, self.steps - self.step_count)):
            for k, run in enumerate(self.runs):
                self._timed(k, run.step, 1)
            self.step_count += 1
        if self.finished:
            for k, run in enumerate(self.runs):
                self._timed(k, run.finish)

    def _timed(self, index: int, action, *args) -> None:
        """``action(*args)``, its time added to run ``index``'s own."""
        start = time.perf_counter()
        action(*args)
        self.seconds[index] += time.perf_counter() - start

    def summary(self) -> dict:
        """What `distill-lab ablation multicrop --json` prints."""
        runs = []
        for run, seconds in zip(self.runs, self.seconds):
            summary = run.summary(seconds)
            runs.append({"num_local": run.params["num_local"], "config": summary["config"],
                         "seconds": summary["seconds"], "final": summary["final"]})
        return {"ablation": "multicrop", "seed": self.params["seed"], "steps": self.steps,
                "published": PUBLISHED, "runs": runs}

    def snapshot(self) -> dict:
        """Each run's part-to-whole accuracy over the steps, its latest value and its step-0 value."""
        runs = []
        for run in self.runs:
            runs.append({"num_local": run.params["num_local"],
                         "steps": run.history.steps(),
                         "part_whole_accuracy": run.history.column("part_whole_accuracy"),
                         "latest": float(run.latest["part_whole_accuracy"]),
                         "start": float(run.start_accuracy),
                         "diverged_at_step": run.diverged_at_step})
        return {"step": self.step_count, "steps": self.steps, "finished": self.finished,
                "seed": self.params["seed"], "chance": 1.0 / len(self.photos),
                "num_images": len(self.photos), "published": PUBLISHED, "runs": runs,
                "divergence_reason": self.divergence_reason}
