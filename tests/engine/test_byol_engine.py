"""BYOLSimulation as an object: the gradients it applies, reproducibility, live parameters, reset,
divergence, snapshots and summaries.

The gradient checks rebuild BYOL's symmetrised loss in the test from the engine's building blocks
(``mlp_forward``, ``cosine_loss``, the linear predictor ``z @ W``) for the exact views a step drew,
and compare the gradients that the step hands to its optimisers with central finite differences of
that loss, in every guard setting. The stop-gradient is a statement about *which* partial
derivative is applied:

- stop-gradient on: the student gets dL/d(online) with the target held fixed, also when EMA is off
  and target and online are the same weights (SimSiam);
- stop-gradient off, EMA on: the student gets dL/d(online) and the teacher's own optimiser gets
  dL/d(target);
- stop-gradient off, EMA off: the student gets the total derivative of L(theta, theta).
"""
import copy
import itertools
import json
import math
import warnings

import numpy as np
import pytest

from engine.byol import BYOLSimulation
from engine.losses import cosine_loss
from engine.mlp import copy_params, mlp_forward
from engine.optim import SGD
from gradient_check import central_difference

GUARD_SETTINGS = [
    dict(ema=ema, stop_gradient=stop_gradient, predictor=predictor)
    for ema, stop_gradient, predictor in itertools.product([True, False], repeat=3)
]


def guard_id(guards):
    return "-".join(f"{name}={'on' if value else 'off'}" for name, value in guards.items())


def byol_loss(views, online, predictor_weights, target):
    """BYOL's symmetrised loss: 0.5 * sum over (i, j) of 2 - 2cos(q(view i), target(view j)).

    ``online`` and ``target`` are (encoder params, projector params); ``predictor_weights`` is None
    when the predictor is off.
    """
    total = 0.0
    for i, j in ((0, 1), (1, 0)):
        z, _ = mlp_forward(online[1], mlp_forward(online[0], views[i])[0])
        q = z @ predictor_weights if predictor_weights is not None else z
        t, _ = mlp_forward(target[1], mlp_forward(target[0], views[j])[0])
        total += 0.5 * cosine_loss(q, t)[0]
    return total


class StepRecorder:
    """Records the views a step draws and the gradients it hands to each optimiser.

    The optimisers are told apart by the arrays they update, so the test does not depend on how
    the simulation names them.
    """

    def __init__(self, sim, monkeypatch):
        self.views = []
        self.calls = []
        world_augment = sim.world.augment

        def augment(content, rng=None):
            view = world_augment(content, rng)
            self.views.append(view.copy())
            return view

        monkeypatch.setattr(sim.world, "augment", augment)
        real_step = SGD.step
        recorder = self

        def step(optimizer, params, grads, learning_rate, weight_decay=0.0):
            recorder.calls.append(
                (list(params), [g.copy() for g in grads], learning_rate, weight_decay))
            return real_step(optimizer, params, grads, learning_rate, weight_decay)

        monkeypatch.setattr(SGD, "step", step)

    def grads_for(self, arrays):
        """The gradients of the call that updated exactly ``arrays`` (identity), or None."""
        found = [grads for params, grads, _, _ in self.calls
                 if len(params) == len(arrays) and all(p is a for p, a in zip(params, arrays))]
        assert len(found) <= 1
        return found[0] if found else None


def sample_entries(shape, rng, grad, count=4):
    """A few random entries plus the one with the largest gradient."""
    size = int(np.prod(shape))
    flat = list(rng.choice(size, size=min(count, size), replace=False))
    flat.append(int(np.argmax(np.abs(grad))))
    return [np.unravel_index(i, shape) for i in dict.fromkeys(flat)]


def assert_grads_match(analytic, numeric_of, arrays, rng, label):
    for k, (array, grad) in enumerate(zip(arrays, analytic)):
        assert grad.shape == array.shape
        for index in sample_entries(array.shape, rng, grad):
            numeric = numeric_of(k, index)
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (
                f"{label}: parameter {k} entry {index}: analytic {grad[index]:.10g}, "
                f"finite difference {numeric:.10g}")


# -- gradients ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("guards", GUARD_SETTINGS, ids=guard_id)
def test_step_applies_the_gradients_of_byol_loss(guards, monkeypatch):
    sim = BYOLSimulation(seed=3, batch_size=16, **guards)
    # A few steps first, so an EMA teacher differs from the student.
    sim.step(5)
    online_before = (copy_params(sim.encoder), copy_params(sim.projector))
    predictor_before = sim.predictor_weights.copy()
    teacher_before = (copy_params(sim.teacher_encoder), copy_params(sim.teacher_projector))
    student_arrays = sim.encoder + sim.projector
    teacher_arrays = sim.teacher_encoder + sim.teacher_projector
    predictor_array = sim.predictor_weights

    recorder = StepRecorder(sim, monkeypatch)
    sim.step()
    monkeypatch.undo()

    assert len(recorder.views) == 2, "one step draws two augmented views"
    views = recorder.views
    rng = np.random.default_rng(0)

    # Work on fresh copies: the loss is a function of these arrays only.
    online = (copy_params(online_before[0]), copy_params(online_before[1]))
    W = predictor_before.copy() if guards["predictor"] else None
    if guards["ema"]:
        target = (copy_params(teacher_before[0]), copy_params(teacher_before[1]))
        assert not np.array_equal(target[0][0], online[0][0]), "teacher should lag the student"
    else:
        target = (copy_params(online_before[0]), copy_params(online_before[1]))

    def loss():
        return byol_loss(views, online, W, target)

    online_flat = online[0] + online[1]
    target_flat = target[0] + target[1]

    # Student.
    student_grads = recorder.grads_for(student_arrays)
    assert student_grads is not None, "the student must take a step"
    if not guards["ema"] and not guards["stop_gradient"]:
        # Teacher is the student and the gradient flows through both branches: total derivative.
        numeric_of = lambda k, index: central_difference(  # noqa: E731
            loss, [online_flat[k], target_flat[k]], index)
    else:
        numeric_of = lambda k, index: central_difference(loss, [online_flat[k]], index)  # noqa: E731
    assert_grads_match(student_grads, numeric_of, online_flat, rng, f"student {guards}")

    # Predictor.
    predictor_grads = recorder.grads_for([predictor_array])
    if guards["predictor"]:
        assert predictor_grads is not None
        assert_grads_match(predictor_grads, lambda k, index: central_difference(loss, [W], index),
                           [W], rng, f"predictor {guards}")
    else:
        assert predictor_grads is None, "a switched-off predictor must not be trained"

    # Teacher's own optimiser: only when the gradient flows into a separate (EMA) teacher.
    teacher_grads = recorder.grads_for(teacher_arrays)
    if guards["ema"] and not guards["stop_gradient"]:
        assert teacher_grads is not None
        assert_grads_match(teacher_grads,
                           lambda k, index: central_difference(loss, [target_flat[k]], index),
                           target_flat, rng, f"teacher {guards}")
    else:
        assert teacher_grads is None, "with a stop-gradient or no EMA the teacher takes no SGD step"

    # And no other optimiser call.
    assert len(recorder.calls) == 1 + guards["predictor"] + (guards["ema"] and not guards["stop_gradient"])


def test_stop_gradient_changes_only_which_gradient_is_applied():
    """Same seed, same views: the student's gradient with the stop-gradient differs from the one
    without it (EMA off), so the switch really acts on the gradient."""
    a = BYOLSimulation(seed=1, ema=False, stop_gradient=True, batch_size=16)
    b = BYOLSimulation(seed=1, ema=False, stop_gradient=False, batch_size=16)
    a.step()
    b.step()
    assert not np.allclose(a.encoder[0], b.encoder[0])


@pytest.mark.parametrize("ema, predictor", list(itertools.product([True, False], repeat=2)))
def test_one_small_sgd_step_lowers_the_loss_for_fixed_views(ema, predictor, monkeypatch):
    """From a fresh simulation (zero momentum) with the stop-gradient on, one step with a small
    learning rate lowers the loss against the fixed target, by about lr * |grad|^2."""
    learning_rate = 1e-3
    sim = BYOLSimulation(seed=4, batch_size=32, ema=ema, predictor=predictor,
                         stop_gradient=True, learning_rate=learning_rate, weight_decay=0.0)
    online_before = (copy_params(sim.encoder), copy_params(sim.projector))
    W_before = sim.predictor_weights.copy() if predictor else None
    target = (copy_params(sim.teacher_encoder), copy_params(sim.teacher_projector)) if ema \
        else copy.deepcopy(online_before)
    recorder = StepRecorder(sim, monkeypatch)
    sim.step()
    monkeypatch.undo()
    views = recorder.views

    before = byol_loss(views, online_before, W_before, target)
    after = byol_loss(views, (sim.encoder, sim.projector),
                      sim.predictor_weights if predictor else None, target)
    assert after < before

    student_grads = recorder.grads_for(sim.encoder + sim.projector)
    predicted = learning_rate * sum(float(np.sum(g * g)) for g in student_grads)
    if predictor:
        (g,) = recorder.grads_for([sim.predictor_weights])
        predicted += learning_rate * sim.params["predictor_lr_multiplier"] * float(np.sum(g * g))
    assert before - after == pytest.approx(predicted, rel=0.1)


def test_without_stop_gradient_and_ema_a_small_step_lowers_the_tied_loss(monkeypatch):
    sim = BYOLSimulation(seed=4, batch_size=32, ema=False, stop_gradient=False,
                         learning_rate=1e-3, weight_decay=0.0)
    before_params = (copy_params(sim.encoder), copy_params(sim.projector))
    W_before = sim.predictor_weights.copy()
    recorder = StepRecorder(sim, monkeypatch)
    sim.step()
    monkeypatch.undo()
    before = byol_loss(recorder.views, before_params, W_before, before_params)
    after_params = (sim.encoder, sim.projector)
    after = byol_loss(recorder.views, after_params, sim.predictor_weights, after_params)
    assert after < before


# -- reproducibility ---------------------------------------------------------------------------------

def run_history(steps=50, **params):
    sim = BYOLSimulation(**params)
    sim.run(steps)
    return sim


def _exactly_equal(d1, d2):
    """Equal down to the last bit, NaN included (the first history row has a NaN loss)."""
    return json.dumps(d1, sort_keys=True) == json.dumps(d2, sort_keys=True)


def test_same_seed_gives_identical_metrics():
    a = run_history(seed=7)
    b = run_history(seed=7)
    assert _exactly_equal(a.history.as_dict(), b.history.as_dict())
    assert _exactly_equal(a.latest, b.latest)
    for x, y in zip(a.encoder + a.projector + [a.predictor_weights],
                    b.encoder + b.projector + [b.predictor_weights]):
        np.testing.assert_array_equal(x, y)


def test_different_seeds_differ():
    a = run_history(seed=7)
    b = run_history(seed=8)
    assert a.latest["loss"] != b.latest["loss"]
    assert a.latest["std_normalized"] != b.latest["std_normalized"]
    assert not np.array_equal(a.encoder[0], b.encoder[0])


def test_run_records_the_last_step_even_off_the_evaluation_interval():
    sim = BYOLSimulation(batch_size=16)
    seconds = sim.run(13)
    assert seconds >= 0
    assert sim.step_count == 13
    assert sim.history.steps()[-1] == 13
    assert all(math.isfinite(v) for v in sim.latest.values())


# -- live parameters -----------------------------------------------------------------------------

def twins(steps=20, **params):
    a, b = BYOLSimulation(**params), BYOLSimulation(**params)
    a.step(steps)
    b.step(steps)
    return a, b


def test_toggling_the_predictor_acts_on_the_next_step_without_reset():
    a, b = twins(seed=2)
    b.set_param("predictor", False)
    assert b.step_count == 20, "set_param must not reset"
    np.testing.assert_array_equal(a.encoder[0], b.encoder[0])
    W = b.predictor_weights.copy()
    a.step()
    b.step()
    assert not np.allclose(a.encoder[0], b.encoder[0]), "the next step already differs"
    np.testing.assert_array_equal(b.predictor_weights, W)  # a switched-off predictor is frozen
    a.step(9)
    b.step(9)
    steps = a.history.steps()
    assert steps[-1] == 30
    at_20 = list(steps).index(20)
    assert a.history.column("loss")[at_20] == b.history.column("loss")[at_20]  # step 20: same past
    assert a.history.column("loss")[-1] != b.history.column("loss")[-1]  # step 30: new path


@pytest.mark.parametrize("name, value", [
    ("learning_rate", 0.2), ("weight_decay", 0.05), ("stop_gradient", False), ("ema", False),
    ("ema_momentum", 0.9), ("predictor_lr_multiplier", 1.0),
])
def test_live_parameters_act_on_the_next_step(name, value):
    a, b = twins(steps=3, seed=5, batch_size=16)
    b.set_param(name, value)
    assert b.params[name] == value
    a.step()
    b.step()
    changed = [not np.array_equal(x, y) for x, y in zip(
        a.encoder + a.projector + [a.predictor_weights] + a.teacher_encoder,
        b.encoder + b.projector + [b.predictor_weights] + b.teacher_encoder)]
    assert any(changed)


def test_turning_ema_on_copies_the_student_into_the_teacher():
    sim = BYOLSimulation(seed=1, ema=False, batch_size=16)
    sim.step(20)
    assert not np.array_equal(sim.teacher_encoder[0], sim.encoder[0])
    sim.set_param("ema", True)
    for teacher, student in zip(sim.teacher_encoder + sim.teacher_projector,
                                sim.encoder + sim.projector):
        np.testing.assert_array_equal(teacher, student)
        assert not np.shares_memory(teacher, student), "the teacher must be a copy, not an alias"
    sim.step()
    # After one step the teacher is a moving average, no longer equal to the student.
    assert not np.array_equal(sim.teacher_encoder[0], sim.encoder[0])


def test_setting_ema_on_when_already_on_does_not_reset_the_teacher():
    sim = BYOLSimulation(seed=1, batch_size=16)
    sim.step(10)
    teacher = copy_params(sim.teacher_encoder)
    sim.set_param("ema", True)
    for t, u in zip(teacher, sim.teacher_encoder):
        np.testing.assert_array_equal(t, u)


def test_a_non_live_parameter_waits_for_reset():
    sim = BYOLSimulation(seed=1, batch_size=16)
    sim.step(10)
    encoder = copy_params(sim.encoder)
    sim.set_param("seed", 9)
    for a, b in zip(encoder, sim.encoder):
        np.testing.assert_array_equal(a, b)
    sim.reset()
    fresh = BYOLSimulation(seed=9, batch_size=16)
    for a, b in zip(fresh.encoder, sim.encoder):
        np.testing.assert_array_equal(a, b)


# -- reset ---------------------------------------------------------------------------------------------

def test_reset_restores_the_initial_state():
    fresh = BYOLSimulation(seed=3, batch_size=32)
    sim = BYOLSimulation(seed=3, batch_size=32)
    sim.run(40)
    sim.reset()
    assert sim.step_count == 0
    assert not sim.diverged and sim.diverged_at_step is None
    assert len(sim.history) == 1
    assert _exactly_equal(sim.latest, fresh.latest)
    for a, b in zip(fresh.encoder + fresh.projector + [fresh.predictor_weights]
                    + fresh.teacher_encoder + fresh.teacher_projector,
                    sim.encoder + sim.projector + [sim.predictor_weights]
                    + sim.teacher_encoder + sim.teacher_projector):
        np.testing.assert_array_equal(a, b)
    # And the run after a reset is the run of a fresh simulation (data stream included).
    fresh.run(30)
    sim.run(30)
    assert _exactly_equal(sim.history.as_dict(), fresh.history.as_dict())


def test_reset_with_a_seed():
    sim = BYOLSimulation(seed=3, batch_size=16)
    sim.run(10)
    sim.reset(seed=4)
    assert sim.params["seed"] == 4
    fresh = BYOLSimulation(seed=4, batch_size=16)
    np.testing.assert_array_equal(sim.encoder[0], fresh.encoder[0])


# -- divergence ------------------------------------------------------------------------------------

# Measured: the cosine loss is scale-invariant, so a learning rate of 10 alone does not diverge
# (growing weights shrink their own gradients). With weight decay 0.1 the predictor's update
# (lr 10 x multiplier 10, times decay 0.1) is an unstable heavy-ball iteration and overflows.
DIVERGING = dict(learning_rate=10.0, weight_decay=0.1)


def test_extreme_settings_diverge_and_then_step_is_a_no_op():
    sim = BYOLSimulation(seed=0, **DIVERGING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak out of the engine
        sim.step(2000)
        assert sim.diverged
        at = sim.diverged_at_step
        assert isinstance(at, int) and 0 < at <= 2000
        assert sim.step_count == at
        assert str(at) in sim.divergence_reason
        latest = dict(sim.latest)
        history = sim.history.as_dict()
        sim.step(10)
        sim.run(10)
        assert sim.step_count == at
        assert sim.latest == latest
        assert _exactly_equal(sim.history.as_dict(), history)
        snapshot = sim.snapshot()
    assert snapshot["diverged_at_step"] == at
    assert snapshot["divergence_reason"] == sim.divergence_reason
    assert all(math.isfinite(v) for v in sim.latest.values()), "the last finite metrics are kept"
    # The arrays come from the last evaluation before the divergence.
    assert np.isfinite(snapshot["embedding_2d"]).all()
    assert np.isfinite(snapshot["singular_values"]).all()
    json.dumps(sim.summary(1.0))


def test_reset_clears_divergence():
    sim = BYOLSimulation(seed=0, **DIVERGING)
    sim.step(2000)
    assert sim.diverged
    sim.set_param("weight_decay", 0.0)
    sim.set_param("learning_rate", 0.05)
    sim.reset()
    assert not sim.diverged and sim.divergence_reason == ""
    sim.step(5)
    assert sim.step_count == 5


# -- snapshots and summaries ---------------------------------------------------------------------

def _mutate(value):
    if isinstance(value, np.ndarray):
        value[...] = 99 if value.dtype.kind in "iu" else 99.0
    elif isinstance(value, dict):
        for key in list(value):
            if isinstance(value[key], (np.ndarray, dict)):
                _mutate(value[key])
            else:
                value[key] = "mutated"


def test_snapshot_arrays_are_copies():
    a, b = twins(steps=20, seed=6, batch_size=32)
    snapshot = a.snapshot()
    arrays = [v for v in snapshot.values() if isinstance(v, np.ndarray)]
    arrays += [v for v in snapshot["history"].values() if isinstance(v, np.ndarray)]
    assert len(arrays) >= 4
    _mutate(snapshot)
    # The simulation did not see the mutation: its next snapshot and its training are unchanged.
    again, reference = a.snapshot(), b.snapshot()
    for key in ("singular_values", "embedding_2d", "labels"):
        np.testing.assert_array_equal(again[key], reference[key])
    for key, column in reference["history"].items():
        np.testing.assert_array_equal(again["history"][key], column)
    assert again["params"] == reference["params"] and a.params == b.params
    assert _exactly_equal(again["latest"], reference["latest"])
    a.step(10)
    b.step(10)
    assert _exactly_equal(a.history.as_dict(), b.history.as_dict())


def test_snapshot_contents():
    sim = BYOLSimulation(seed=0, batch_size=32)
    sim.run(20)
    snapshot = sim.snapshot()
    assert snapshot["step"] == 20
    assert snapshot["dim"] == sim.dim == BYOLSimulation.PROJECTION_DIM
    assert snapshot["embedding_2d"].shape == (BYOLSimulation.EVALUATION_SIZE, 2)
    assert snapshot["labels"].shape == (BYOLSimulation.EVALUATION_SIZE,)
    assert (np.linalg.norm(snapshot["embedding_2d"], axis=1) <= 1 + 1e-9).all()
    assert list(snapshot["history"]["step"]) == list(range(21))  # every step while young
    for name in BYOLSimulation.METRICS:
        assert len(snapshot["history"][name]) == 21


@pytest.mark.parametrize("steps", [0, 25])
def test_summary_is_json_serialisable(steps):
    sim = BYOLSimulation(seed=0, batch_size=16)
    seconds = sim.run(steps) if steps else 0.0
    summary = sim.summary(seconds)
    text = json.dumps(summary)
    loaded = json.loads(text)
    assert loaded["simulation"] == "byol"
    assert loaded["steps"] == steps
    assert loaded["config"] == json.loads(json.dumps(sim.params))
    assert loaded["diverged"] is False and loaded["diverged_at_step"] is None
    assert set(BYOLSimulation.METRICS) <= set(loaded["final"])
    assert len(loaded["history"]["step"]) == len(sim.history)
