"""The batched BYOL guard grid: each member is a BYOLSimulation, the verdicts match the papers.

The grid trains in float32 by default; with ``dtype=np.float64`` each member reproduces a
(float64) BYOLSimulation bit for bit, which the equivalence tests check. The float32 grid is
checked to stay float32 and to reach the float64 grid's verdicts.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.byol import BYOLSimulation, byol_verdict
from engine.byol_grid import GUARD_COMBINATIONS, BYOLGrid, knn_accuracy_fast
from engine.losses import cosine_loss
from engine.metrics import knn_accuracy
from engine.params import ParameterError
from engine.published import GUARD_NAMES, PUBLISHED_OUTCOMES

WEIGHT_TOLERANCE = 1e-10  # observed: bit for bit (dtype=np.float64)


class EveryTenthStep(BYOLSimulation):
    """A single run evaluated at the grid's cadence (every 10 steps, none denser at the start), so
    the mean training loss of its latest metrics covers the same steps as the grid's."""

    DENSE_STEPS = 0


def separate_run(combination, steps: int, **settings) -> BYOLSimulation:
    ema, stop_gradient, predictor = combination
    sim = EveryTenthStep(ema=ema, stop_gradient=stop_gradient, predictor=predictor, **settings)
    sim.run(steps)
    return sim


def assert_member_matches(grid: BYOLGrid, member: int, sim: BYOLSimulation) -> None:
    weights = grid.member_weights(member)
    ema, _, predictor = GUARD_COMBINATIONS[member]
    names = ["encoder", "projector"] + (["teacher_encoder", "teacher_projector"] if ema else [])
    for name in names:
        for mine, theirs in zip(weights[name], getattr(sim, name), strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=WEIGHT_TOLERANCE, err_msg=name)
    if predictor:
        np.testing.assert_allclose(weights["predictor_weights"], sim.predictor_weights,
                                   rtol=0, atol=WEIGHT_TOLERANCE)
    else:
        assert weights["predictor_weights"] is None
    for name in BYOLSimulation.METRICS:
        expected = pytest.approx(sim.latest[name], rel=1e-9, abs=1e-12)
        assert grid.latest[member][name] == expected, name
    np.testing.assert_array_equal(grid.history[member].steps(), sim.history.steps())
    for name in ("std_normalized", "effective_rank", "knn_accuracy"):
        np.testing.assert_allclose(grid.history[member].column(name), sim.history.column(name),
                                   rtol=1e-9, atol=1e-12, err_msg=name)
    assert grid.diverged_at_step[member] == sim.diverged_at_step


@pytest.mark.parametrize("steps, settings", [
    (40, {"seed": 0}),
    # Other shared settings, a batch that is not a multiple of anything, and no weight decay.
    (23, {"seed": 5, "learning_rate": 0.1, "weight_decay": 0.0, "ema_momentum": 0.9,
          "predictor_lr_multiplier": 1.0, "batch_size": 37}),
])
def test_every_member_matches_a_separate_run(steps, settings):
    grid = BYOLGrid(dtype=np.float64, **settings)
    grid.run(steps)
    assert grid.step_count == steps
    for member, combination in enumerate(GUARD_COMBINATIONS):
        assert_member_matches(grid, member, separate_run(combination, steps, **settings))


def test_members_are_the_eight_guard_combinations():
    assert len(set(GUARD_COMBINATIONS)) == 8
    assert set(GUARD_COMBINATIONS) == set(PUBLISHED_OUTCOMES) == set(GUARD_NAMES)
    grid = BYOLGrid(seed=3)
    for member, (ema, stop_gradient, predictor) in enumerate(GUARD_COMBINATIONS):
        config = grid.member_params(member)
        assert (config["ema"], config["stop_gradient"], config["predictor"]) == (
            ema, stop_gradient, predictor)
        assert config["seed"] == 3


def test_a_diverging_member_stops_alone():
    grid = BYOLGrid(seed=1, dtype=np.float64)
    grid.step(10)
    grid.student.flat[2, 0] = np.nan  # poison one member
    grid.run(10)
    assert grid.diverged_at_step[2] == 11
    assert "step 11" in grid.divergence_reasons[2] and not grid.diverged
    assert all(math.isfinite(v) for v in grid.latest[2].values())  # its last good metrics stay
    assert grid.history[2].steps()[-1] == 10
    snapshot = grid.snapshot()  # a diverged member's NaN weights do not break the others
    assert np.isnan(snapshot["singular_values"][2]).all()
    assert np.isfinite(np.delete(snapshot["singular_values"], 2, axis=0)).all()
    assert snapshot["members"][2]["diverged_at_step"] == 11
    for member, combination in enumerate(GUARD_COMBINATIONS):
        if member != 2:
            assert grid.diverged_at_step[member] is None
            assert_member_matches(grid, member, separate_run(combination, 20, seed=1))


def test_float32_grid_stays_float32_through_a_step():
    grid = BYOLGrid(seed=0)
    assert grid.dtype == np.float32  # the grid's default
    inputs = []
    network_forward = grid._network_forward
    grid._network_forward = lambda params, x: inputs.append(x) or network_forward(params, x)
    grid.step(BYOLGrid.EVAL_INTERVAL)
    assert inputs and all(x.dtype == np.float32 for x in inputs)  # the data batches
    arrays = {"student": grid.student.flat, "teacher": grid.teacher.flat,
              "predictor": grid.predictor.flat, "student_grad": grid._student_grad,
              "student_view_grads": grid._student_view_grads.flat,
              "teacher_grad": grid._teacher_grad,
              "teacher_view_grads": grid._teacher_view_grads.flat,
              "predictor_grad": grid._predictor_grad,
              "student_velocity": grid._student_velocity,
              "predictor_velocity": grid._predictor_velocity,
              "teacher_velocity": grid._teacher_velocity, "sgd_scratch": grid._sgd_scratch}
    for name, array in arrays.items():
        assert array.dtype == np.float32, name
        assert np.isfinite(array).all() and np.any(array != 0.0), name
    assert grid._train_step().dtype == np.float32  # the members' losses
    assert all(a.dtype == np.float32 for a in grid.embed(grid.eval_inputs))
    assert all(grid.diverged_at_step[k] is None for k in range(8))
    # The metrics are computed in float64 from the float32 outputs, with BYOLSimulation's code.
    assert all(isinstance(grid.latest[k]["std_normalized"], float) for k in range(8))


def test_float32_grid_stays_close_to_the_float64_grid_early_on():
    grids = [BYOLGrid(seed=0, dtype=dtype) for dtype in (np.float32, np.float64)]
    for grid in grids:
        grid.run(20)
    for member in range(8):
        for mine, theirs in zip(grids[0].member_weights(member)["encoder"],
                                grids[1].member_weights(member)["encoder"]):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-4)


def test_dtype_is_float32_or_float64():
    with pytest.raises(ParameterError):
        BYOLGrid(dtype=np.float16)
    assert BYOLGrid(dtype="float64").student.flat.dtype == np.float64


def test_a_float32_member_that_overflows_stops_alone():
    # Weights 1e12 times too large: float32 overflows to infinity in the forward pass (float64,
    # up to 1.8e308, would not). The member stops with a reason that names float32; the others
    # go on exactly as in a grid without the overflow (members never mix).
    grid, clean = BYOLGrid(seed=1), BYOLGrid(seed=1)
    grid.step(10)
    clean.step(10)
    grid.student.flat[2] *= 1e12
    grid.run(10)
    clean.run(10)
    assert grid.diverged_at_step[2] == 11 and not grid.diverged
    reason = grid.divergence_reasons[2]
    assert "step 11" in reason and "float32" in reason and "overflow" in reason
    assert grid.divergence_reason.startswith(GUARD_NAMES[GUARD_COMBINATIONS[2]])
    assert all(math.isfinite(v) for v in grid.latest[2].values())  # its last good metrics stay
    assert np.isnan(grid.snapshot()["singular_values"][2]).all()
    for member in range(8):
        if member != 2:
            assert grid.diverged_at_step[member] is None
            np.testing.assert_array_equal(grid.student.flat[member], clean.student.flat[member])
            assert grid.latest[member] == clean.latest[member]


def test_knn_fast_matches_knn_accuracy():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 8, size=300)
    cases = [
        rng.standard_normal((300, 16)),
        rng.standard_normal((300, 3)).round(1),  # many exact ties between neighbours
        np.ones((300, 16)),  # complete collapse: every similarity ties
        np.repeat(rng.standard_normal((30, 16)), 10, axis=0),  # duplicated points
        labels[:, None] * np.ones((1, 4)) + 1.0,  # features that are the labels
    ]
    for features in cases:
        assert knn_accuracy_fast(features, labels) == knn_accuracy(features, labels)


def test_cosine_loss_over_a_stack_is_each_slice_bit_for_bit():
    # The grid calls cosine_loss on (members, views, batch, dim) stacks; single runs on (batch, dim).
    rng = np.random.default_rng(1)
    prediction, target = rng.standard_normal((2, 3, 2, 37, 16))
    loss, grad_prediction, grad_target = cosine_loss(prediction, target)
    assert loss.shape == (3, 2)
    for index in np.ndindex(3, 2):
        single_loss, single_grad_p, single_grad_t = cosine_loss(prediction[index], target[index])
        assert isinstance(single_loss, float) and loss[index] == single_loss
        np.testing.assert_array_equal(grad_prediction[index], single_grad_p)
        np.testing.assert_array_equal(grad_target[index], single_grad_t)


def test_published_outcomes_name_their_sources():
    for combination, published in PUBLISHED_OUTCOMES.items():
        assert published.verdict in ("healthy", "collapsed", None)
        if published.verdict is None:
            assert "not run" in published.outcome  # said, not invented
        else:
            assert any(paper in published.source for paper in ("BYOL", "SimSiam"))
    assert PUBLISHED_OUTCOMES[(True, True, True)].verdict == "healthy"
    assert PUBLISHED_OUTCOMES[(False, True, True)].verdict == "healthy"
    assert "Table 5b" in PUBLISHED_OUTCOMES[(True, True, False)].source
    assert "Table 19" in PUBLISHED_OUTCOMES[(True, False, True)].source
    assert "Fig. 2" in PUBLISHED_OUTCOMES[(False, False, True)].source
    assert "Table 1" in PUBLISHED_OUTCOMES[(False, True, False)].source
    assert "App. I" in PUBLISHED_OUTCOMES[(False, True, True)].source


def test_summary_is_json_serialisable():
    grid = BYOLGrid(seed=2)
    seconds = grid.run(25)
    summary = json.loads(json.dumps(grid.summary(seconds)))
    assert summary["simulation"] == "byol_grid" and summary["steps"] == 25
    assert len(summary["runs"]) == 8
    for member, run in enumerate(summary["runs"]):
        ema, stop_gradient, predictor = GUARD_COMBINATIONS[member]
        assert run["simulation"] == "byol"
        assert (run["config"]["ema"], run["config"]["stop_gradient"],
                run["config"]["predictor"]) == (ema, stop_gradient, predictor)
        assert set(BYOLSimulation.METRICS) <= set(run["final"])
        assert run["steps"] == 25 and run["diverged"] is False
        assert run["verdict"] == byol_verdict(run["final"]["std_normalized"], grid.dim,
                                              run["final"]["effective_rank"])
        assert run["published"]["source"] == PUBLISHED_OUTCOMES[GUARD_COMBINATIONS[member]].source
        assert run["agrees"] in (True, False, None)
        assert run["history"]["step"][-1] == 25


@pytest.mark.soak  # over ~5 s: a long batched run
def test_history_is_bounded_and_spans_the_run():
    class SmallHistoryGrid(BYOLGrid):
        HISTORY_POINTS = 8

    grid = SmallHistoryGrid(seed=0)
    grid.run(300)  # 31 evaluations offered per member
    for history in grid.history:
        assert 4 <= len(history) <= 8
        steps = history.steps()
        assert steps[0] == 0 and steps[-1] >= 200


def test_snapshot_returns_fresh_arrays():
    grid = BYOLGrid(seed=0)
    grid.step(20)
    snapshot = grid.snapshot()
    assert snapshot["step"] == 20 and len(snapshot["members"]) == 8
    assert snapshot["singular_values"].shape == (8, grid.dim)
    member = snapshot["members"][0]
    assert member["name"] == GUARD_NAMES[GUARD_COMBINATIONS[0]]
    before = grid.history[0].column("std_normalized")
    member["history"]["std_normalized"][:] = -1.0
    member["latest"]["std_normalized"] = -1.0
    np.testing.assert_array_equal(grid.history[0].column("std_normalized"), before)
    assert grid.latest[0]["std_normalized"] >= 0.0
    grid.step(10)
    assert snapshot["step"] == 20 and len(member["history"]["step"]) == 3


def test_parameters_are_validated_and_reset_uses_the_seed():
    grid = BYOLGrid()
    with pytest.raises(ParameterError):
        grid.set_param("ema", False)  # each member fixes its own guards
    with pytest.raises(ParameterError):
        grid.set_param("learning_rate", -1.0)
    grid.set_param("learning_rate", 0.02)
    assert all(grid.member_params(k)["learning_rate"] == 0.02 for k in range(8))
    grid.step(5)
    grid.reset(seed=4)
    assert grid.step_count == 0 and grid.params["seed"] == 4
    assert all(len(history) == 1 for history in grid.history)


@pytest.mark.phenomena
def test_float32_verdicts_equal_the_float64_verdicts_at_the_defaults():
    # The grid trains in float32 and single pages in float64: the verdicts must not depend on it.
    verdicts = {}
    for dtype in (np.float32, np.float64):
        grid = BYOLGrid(seed=0, dtype=dtype)
        grid.run(BYOLSimulation.DEFAULT_STEPS)
        verdicts[dtype] = [(row["name"], row["verdict"]) for row in grid.outcome_rows()]
    assert verdicts[np.float32] == verdicts[np.float64]


@pytest.mark.phenomena
def test_verdicts_match_the_published_outcomes_at_the_defaults():
    grid = BYOLGrid(seed=0)
    grid.run(BYOLSimulation.DEFAULT_STEPS)
    rows = grid.outcome_rows()
    table = "\n".join(f"{r['name']}: {r['verdict']} (paper: {r['published']['outcome']}, "
                      f"{r['published']['source']})" for r in rows)
    for row in rows:
        if row["published"]["verdict"] is None:
            assert row["agrees"] is None, table
        else:
            assert row["agrees"] is True, table
