"""Property-based: whatever a lecturer does with the controls, a simulation never raises and never
shows a non-finite number, unless it reports a divergence (and then it still shows the last finite
state).

Hypothesis drives every registered simulation (BYOL, DINO, ...) with random sequences of valid
parameter changes, drawn from each ParamSpec's range with its extremes favoured, interleaved with
steps, resets and snapshots. Kept short for CI (few examples, few steps each: 5-20 s in all);
``DISTILL_LAB_PROPERTY_EXAMPLES=200 python -m pytest tests/engine/test_properties.py`` searches harder.
"""
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.params import ParamSpec
from engine.registry import SIMULATIONS

EXAMPLES = int(os.environ.get("DISTILL_LAB_PROPERTY_EXAMPLES", "8"))
MAX_STEPS_PER_OP = 25
MAX_OPS = 8
# Known diverging settings, so the "unless divergence is reported" branch is always exercised:
# BYOL's predictor trains at 10 x 20 = 200 with weight decay 0.1 and overflows at step 246.
DIVERGING_EXAMPLES = {
    "byol": [("set", "learning_rate", 10.0), ("set", "weight_decay", 0.1),
             ("set", "predictor_lr_multiplier", 20.0)] + [("step", 25)] * 10
            + [("snapshot",), ("step", 5), ("reset", None), ("step", 3)],
}


def values_for(spec: ParamSpec):
    """Valid values of one parameter, with its extremes and (log-)uniform values between."""
    if spec.kind is bool:
        return st.booleans()
    low, high = spec.minimum, spec.maximum
    if spec.name == "seed":  # any seed is as good as another; keep them readable
        return st.sampled_from([int(low), int(high), 1, 12345])
    if spec.kind is int:
        return st.one_of(st.sampled_from([int(low), int(high)]), st.integers(int(low), int(high)))
    between = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if spec.log_scale and low > 0:
        between = st.floats(math.log10(low), math.log10(high)).map(
            lambda e: min(max(10.0 ** e, low), high))
    return st.one_of(st.sampled_from([float(low), float(high)]), between)


def operations(simulation_class):
    set_param = st.one_of(*[st.tuples(st.just("set"), st.just(spec.name), values_for(spec))
                            for spec in simulation_class.PARAMS])
    return st.lists(
        st.one_of(
            set_param,
            set_param,  # twice as likely as the others: many changes between few steps
            st.tuples(st.just("step"), st.integers(1, MAX_STEPS_PER_OP)),
            st.tuples(st.just("reset"), st.none() | st.integers(0, 2**31 - 1)),
            st.tuples(st.just("snapshot")),
        ),
        min_size=1, max_size=MAX_OPS,
    )


def _finite_arrays(snapshot: dict) -> None:
    """Every array a panel would plot is finite (the history's loss at step 0 excepted: no step yet)."""
    for key, value in snapshot.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), f"snapshot[{key!r}] has non-finite values"
    history = snapshot["history"]
    for name, column in history.items():
        column = np.asarray(column, dtype=float)
        if name == "loss":
            # Row 0 is the evaluation before any step: no training loss exists there yet.
            assert np.isfinite(column[1:]).all(), "history loss has non-finite values after step 0"
        else:
            assert np.isfinite(column).all(), f"history[{name!r}] has non-finite values"
    for key, value in snapshot["latest"].items():
        if isinstance(value, float) and not (key == "loss" and len(history["step"]) <= 1):
            assert math.isfinite(value), f"latest[{key!r}] = {value}"


def _check(simulation) -> None:
    latest = simulation.latest
    for key, value in latest.items():
        if key == "loss" and simulation.history.steps()[-1] == 0:
            continue  # before the first evaluation after a step there is no training loss
        if isinstance(value, float):
            assert math.isfinite(value) or simulation.diverged, f"{key} = {value} without divergence"
    if simulation.diverged:
        assert simulation.step_count == simulation.diverged_at_step
        assert str(simulation.diverged_at_step) in simulation.divergence_reason
    # The last finite state is what the panels keep showing, diverged or not.
    _finite_arrays(simulation.snapshot())


@pytest.mark.parametrize("name", sorted(SIMULATIONS))
def test_random_valid_changes_never_raise_or_show_non_finite_numbers(name):
    simulation_class = SIMULATIONS[name]
    diverged_runs = []

    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(ops=operations(simulation_class))
    def run(ops):
        simulation = simulation_class(batch_size=32)  # small batches keep each example quick
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no overflow warning may leak out
            for op in ops:
                if op[0] == "set":
                    simulation.set_param(op[1], op[2])
                elif op[0] == "step":
                    before = simulation.step_count
                    simulation.step(op[1])
                    if simulation.diverged:
                        assert simulation.step_count <= before + op[1]
                        diverged_runs.append(simulation.diverged_at_step)
                    else:
                        assert simulation.step_count == before + op[1]
                elif op[0] == "reset":
                    simulation.reset(op[1])
                    assert simulation.step_count == 0 and not simulation.diverged
                else:
                    simulation.snapshot()
                _check(simulation)
            simulation.refresh_latest()
            _check(simulation)

    if name in DIVERGING_EXAMPLES:
        run = example(ops=DIVERGING_EXAMPLES[name])(run)
    run()
    if name in DIVERGING_EXAMPLES:
        assert diverged_runs, "the known diverging example did not diverge"
