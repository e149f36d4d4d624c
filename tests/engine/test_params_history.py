"""Parameter validation at the boundary (controls, scenario files, CLI) and the bounded metric history.

A refused value must name the parameter, so a lecturer who typo'd a scenario file knows what to fix;
the history must stay bounded over a two-hour lecture while keeping the whole run visible.
"""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.byol import BYOL_PARAMS, BYOLSimulation
from engine.history import BoundedHistory
from engine.params import ParameterError, ParamSpec, spec_table, validate_params

SPECS = spec_table(BYOL_PARAMS)


# -- ParamSpec.validate -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("learning_rate", 0.05, 0.05),
        ("learning_rate", 1, 1.0),  # an int is a fine float
        ("learning_rate", 1e-4, 1e-4),  # inclusive bounds
        ("learning_rate", 10.0, 10.0),
        ("weight_decay", 0, 0.0),
        ("ema_momentum", 0.9999, 0.9999),
        ("batch_size", 64, 64),
        ("batch_size", 64.0, 64),  # a whole float is a fine int (JSON, sliders)
        ("seed", 0, 0),
        ("seed", 2**31 - 1, 2**31 - 1),
        ("ema", True, True),
        ("stop_gradient", False, False),
        ("predictor", True, True),
        ("learning_rate", np.float64(0.5), 0.5),
    ],
)
def test_validate_accepts_good_values_and_converts_their_type(name, value, expected):
    result = SPECS[name].validate(value)
    assert result == expected
    assert type(result) is SPECS[name].kind


@pytest.mark.parametrize(
    "name, value",
    [
        ("learning_rate", float("nan")),
        ("learning_rate", float("inf")),
        ("learning_rate", float("-inf")),
        ("learning_rate", 0.0),
        ("learning_rate", 10.5),
        ("learning_rate", -0.05),
        ("learning_rate", "0.05"),
        ("learning_rate", None),
        ("learning_rate", [0.05]),
        ("learning_rate", True),  # a bool is not a number here
        ("weight_decay", False),
        ("ema_momentum", 1.0),
        ("ema_momentum", 0.5),
        ("predictor_lr_multiplier", 0.5),
        ("batch_size", 64.5),  # fraction for an int
        ("batch_size", float("nan")),
        ("batch_size", float("inf")),
        ("batch_size", 4),
        ("batch_size", 2048),
        ("batch_size", "64"),
        ("batch_size", True),
        ("seed", -1),
        ("seed", 2**31),
        ("ema", 1),
        ("ema", 0),
        ("ema", "true"),
        ("stop_gradient", None),
        ("predictor", 1.0),
    ],
)
def test_validate_refuses_bad_values_with_a_message_naming_the_parameter(name, value):
    with pytest.raises(ParameterError) as caught:
        SPECS[name].validate(value)
    message = str(caught.value)
    assert name in message
    assert SPECS[name].range_text() in message


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


def test_range_text_reads_well():
    assert SPECS["ema"].range_text() == "true or false"
    assert SPECS["batch_size"].range_text() == "a whole number from 8 to 1024"
    assert SPECS["learning_rate"].range_text() == "a number from 0.0001 to 10"


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_validated_floats_are_always_finite_and_in_range(value):
    spec = SPECS["learning_rate"]
    try:
        result = spec.validate(value)
    except ParameterError:
        assert not (math.isfinite(value) and spec.minimum <= value <= spec.maximum)
    else:
        assert math.isfinite(result) and spec.minimum <= result <= spec.maximum


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True)))
def test_validated_ints_are_always_whole_and_in_range(value):
    spec = SPECS["batch_size"]
    try:
        result = spec.validate(value)
    except ParameterError:
        pass
    else:
        assert type(result) is int and 8 <= result <= 1024 and result == value


def test_every_spec_has_a_default_that_validates():
    for spec in BYOL_PARAMS:
        assert spec.validate(spec.default) == spec.default
        assert spec.label and spec.help


# -- validate_params ----------------------------------------------------------------------------

def test_validate_params_fills_defaults_and_validates_overrides():
    merged = validate_params(BYOL_PARAMS, {"learning_rate": 1, "predictor": False})
    assert set(merged) == set(SPECS)
    assert merged["learning_rate"] == 1.0 and type(merged["learning_rate"]) is float
    assert merged["predictor"] is False
    assert merged["batch_size"] == SPECS["batch_size"].default


def test_validate_params_refuses_unknown_names_and_lists_known_ones():
    with pytest.raises(ParameterError) as caught:
        validate_params(BYOL_PARAMS, {"learnig_rate": 0.1})
    message = str(caught.value)
    assert "learnig_rate" in message
    assert "learning_rate" in message


def test_validate_params_names_the_bad_parameter():
    with pytest.raises(ParameterError, match="ema_momentum"):
        validate_params(BYOL_PARAMS, {"ema_momentum": float("nan")})


def test_simulation_refuses_bad_parameters_at_construction_and_in_set_param():
    with pytest.raises(ParameterError, match="learning_rate"):
        BYOLSimulation(learning_rate=float("inf"))
    with pytest.raises(ParameterError, match="bogus"):
        BYOLSimulation(bogus=1)
    sim = BYOLSimulation(batch_size=8)
    with pytest.raises(ParameterError, match="weight_decay"):
        sim.set_param("weight_decay", -1.0)
    with pytest.raises(ParameterError, match="bogus"):
        sim.set_param("bogus", 1)
    assert sim.params["weight_decay"] == SPECS["weight_decay"].default


# -- command-line names --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, cli",
    [
        ("ema", "--no-ema"),
        ("stop_gradient", "--no-stop-grad"),
        ("predictor", "--no-predictor"),
        ("learning_rate", "--lr"),
        ("ema_momentum", "--ema-momentum"),
        ("predictor_lr_multiplier", "--predictor-lr-multiplier"),
        ("weight_decay", "--weight-decay"),
        ("batch_size", "--batch-size"),
        ("seed", "--seed"),
    ],
)
def test_cli_name(name, cli):
    assert SPECS[name].cli_name == cli


def test_cli_name_of_a_switch_that_defaults_off_has_no_prefix():
    spec = ParamSpec("sharpening", bool, False, "Sharpening", "help")
    assert spec.cli_name == "--sharpening"
    spec = ParamSpec("use_centre", bool, True, "Centre", "help", flag="centre")
    assert spec.cli_name == "--no-centre"


def test_cli_names_are_unique():
    names = [spec.cli_name for spec in BYOL_PARAMS]
    assert len(names) == len(set(names))


# -- BoundedHistory ---------------------------------------------------------------------------------

def metrics_for(step):
    return {"loss": 2.0 * step, "accuracy": -float(step)}


def test_history_stays_bounded_keeps_first_and_recent_and_columns_align():
    history = BoundedHistory(("loss", "accuracy"), max_points=1024)
    total = 100_000
    seen_lengths = []
    for step in range(total):
        history.record(step, metrics_for(step))
        assert len(history) <= history.max_points
        if step % 997 == 0:
            seen_lengths.append(len(history))
    steps = history.steps()
    assert len(steps) == len(history) <= 1024
    assert len(steps) > 1024 // 2  # compaction halves, never more
    assert steps[0] == 0
    spacing = np.diff(steps)
    assert (spacing == spacing[0]).all(), "kept rows are evenly spaced"
    stride = int(spacing[0])
    assert stride & (stride - 1) == 0, "the stride is a power of two"
    assert stride == 128  # 100k offers into 1024 rows: 1, 2, 4, ..., 128
    assert total - 1 - steps[-1] < stride, "a recent step is kept"
    np.testing.assert_array_equal(history.column("loss"), 2.0 * steps)
    np.testing.assert_array_equal(history.column("accuracy"), -steps)


def test_history_stride_doubles_at_each_compaction():
    history = BoundedHistory(("loss",), max_points=8)
    strides = []
    for step in range(200):
        history.record(step, {"loss": float(step)})
        steps = history.steps()
        if len(steps) > 1:
            strides.append(int(np.diff(steps)[0]))
    distinct = sorted(set(strides))
    assert distinct == [1, 2, 4, 8, 16, 32]
    # Strides only grow, each by a factor of two.
    changes = [b / a for a, b in zip(strides, strides[1:]) if b != a]
    assert changes and all(c == 2 for c in changes)


@settings(max_examples=50, deadline=None)
@given(max_points=st.integers(2, 40).map(lambda n: 2 * n), count=st.integers(1, 3000))
def test_history_invariants_for_any_size(max_points, count):
    history = BoundedHistory(("a", "b"), max_points=max_points)
    for step in range(count):
        history.record(10 * step, {"a": step + 0.5, "b": float(step % 7)})
    steps = history.steps()
    assert 1 <= len(steps) <= max_points
    assert steps[0] == 0
    spacing = np.diff(steps)
    assert (spacing > 0).all() and (spacing == spacing[:1]).all()
    stride_in_offers = spacing[0] // 10 if len(spacing) else 1
    assert 10 * (count - 1) - steps[-1] < 10 * stride_in_offers
    offers = steps / 10
    np.testing.assert_array_equal(history.column("a"), offers + 0.5)
    np.testing.assert_array_equal(history.column("b"), offers % 7)


def test_history_returns_copies_and_json_ready_dicts():
    history = BoundedHistory(("loss",), max_points=4)
    for step in range(3):
        history.record(step, {"loss": 0.5 * step, "ignored": 1.0})
    steps, losses = history.steps(), history.column("loss")
    steps[:] = -1
    losses[:] = -1
    np.testing.assert_array_equal(history.steps(), [0, 1, 2])
    np.testing.assert_array_equal(history.column("loss"), [0.0, 0.5, 1.0])
    as_dict = history.as_dict()
    assert as_dict == {"step": [0, 1, 2], "loss": [0.0, 0.5, 1.0]}
    assert all(type(s) is int for s in as_dict["step"])
    json.dumps(as_dict)


@pytest.mark.parametrize("max_points", [0, 2, 3, 7, 1023])
def test_history_refuses_odd_or_tiny_sizes(max_points):
    with pytest.raises(ValueError):
        BoundedHistory(("loss",), max_points=max_points)

