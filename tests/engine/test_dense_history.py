"""Metrics at every step while a run is young or just changed: a fast collapse draws as a curve."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation
from engine.history import BoundedHistory
from engine.verdicts import byol_verdict, dino_verdict

SEED = 15


def first_collapsed_step(history: dict, verdict_of) -> int | None:
    for index, step in enumerate(history["step"]):
        if verdict_of({name: history[name][index] for name in history}) in ("collapsed", "one prototype dominates", "uniform"):
            return int(step)
    return None


def byol_collapsed(row: dict) -> str:
    return byol_verdict(row["std_normalized"], BYOLSimulation.PROJECTION_DIM, row["effective_rank"])


def dino_collapsed(row: dict) -> str:
    return dino_verdict(row["teacher_entropy"], row["usage_entropy"], 16)


def dino_flat(row: dict) -> str:
    # Without sharpening the teacher starts near uniform already (its verdict reads uniform at step
    # 0); the collapse completes when its entropy reaches 0.99 log K.
    return "uniform" if row["teacher_entropy"] >= 0.99 * math.log(16) else "flattening"


# Every published collapse the toy reproduces, from a fresh start (PAPERS.md, DESIGN.md's table).
COLLAPSES = [
    ("byol, no guard", BYOLSimulation, {"ema": False, "stop_gradient": False, "predictor": False}, byol_collapsed, 300),
    ("byol, no predictor", BYOLSimulation, {"predictor": False}, byol_collapsed, 300),
    ("byol, no stop-gradient", BYOLSimulation, {"stop_gradient": False}, byol_collapsed, 2000),
    ("simsiam, slow predictor", BYOLSimulation, {"ema": False, "predictor_lr_multiplier": 1.0}, byol_collapsed, 300),
    ("dino, sharpening only", DINOSimulation, {"centering": False}, dino_collapsed, 600),
    ("dino, centering only", DINOSimulation, {"teacher_temperature": 0.2}, dino_flat, 600),
]


@pytest.mark.phenomena
@pytest.mark.parametrize("name, simulation_class, settings, verdict_of, steps", COLLAPSES,
                         ids=[c[0] for c in COLLAPSES])
def test_every_published_collapse_is_a_curve_of_at_least_ten_points(name, simulation_class, settings,
                                                                   verdict_of, steps):
    sim = simulation_class(seed=SEED, **settings)
    sim.run(steps)
    history = sim.history.as_dict()
    collapsed_at = first_collapsed_step(history, verdict_of)
    assert collapsed_at is not None, f"{name}: no collapse within {steps} steps"
    points_before = sum(step <= collapsed_at for step in history["step"])
    assert points_before >= 10, (name, collapsed_at, history["step"][:12])


def test_the_first_steps_are_recorded_at_every_step_and_later_every_tenth():
    sim = BYOLSimulation(seed=SEED, batch_size=32)
    sim.run(260)
    steps = sim.history.steps()
    assert list(steps[:201]) == list(range(201))
    assert list(steps[201:]) == [210, 220, 230, 240, 250, 260]


@pytest.mark.soak  # over ~5 s: trains at lecture pace
def test_a_change_records_every_step_again():
    sim = BYOLSimulation(seed=SEED, batch_size=32)
    sim.run(300)
    sim.set_param("predictor", False)
    sim.step(30)
    assert list(sim.history.steps()[-30:]) == list(range(301, 331))
    display_only = DINOSimulation(seed=SEED, batch_size=32)
    display_only.run(300)
    display_only.set_param("chosen_sample", 3)  # changes what is shown, not training
    display_only.step(30)
    assert list(display_only.history.steps()[-3:]) == [310, 320, 330]


def test_thinning_keeps_the_first_rows_and_stays_bounded():
    history = BoundedHistory(("x",), max_points=64, keep_first=20)
    for step in range(5000):
        history.record(step, {"x": float(step)})
    steps = history.steps()
    assert len(history) <= 64
    assert list(steps[:20]) == list(range(20))
    assert steps[-1] >= 5000 - 2 * (5000 // 32) and np.all(np.diff(steps) > 0)


def test_keep_first_is_checked():
    with pytest.raises(ValueError):
        BoundedHistory(("x",), max_points=8, keep_first=5)


@pytest.mark.soak  # over ~5 s: trains at lecture pace
def test_lecture_pace_is_slow_after_a_change_and_fast_once_settled():
    sim = BYOLSimulation(seed=SEED, batch_size=32)
    floor, per_step, ceiling = sim.LECTURE_PACE
    assert sim.lecture_rate() == floor  # a fresh run starts slowly
    sim.run(400)
    settled = sim.lecture_rate()
    assert settled > 10 * floor
    sim.set_param("predictor", False)
    assert sim.lecture_rate() == floor  # a guard switched: slow again, to watch what follows
    sim.step(2000)
    assert floor <= sim.lecture_rate() <= ceiling
