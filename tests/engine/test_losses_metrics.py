"""BYOL's cosine loss and its hand-written gradients, and the collapse metrics.

The metrics are what the lecturer reads collapse from, so each is pinned on inputs whose answer is
known: a constant output (complete collapse), rank-one data (dimensional collapse), isotropic
gaussians (spread over the sphere), separated clusters (perfect kNN).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.losses import cosine_loss, l2_normalize
from engine.metrics import (
    effective_rank,
    knn_accuracy,
    projection_2d,
    singular_values,
    std_normalized,
)
from gradient_check import numeric_gradient


# -- l2_normalize and cosine_loss ----------------------------------------------------------------

def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1e-3, 0.0]])
    out = l2_normalize(x)
    np.testing.assert_allclose(out[0], [0.6, 0.8])
    np.testing.assert_array_equal(out[1], [0.0, 0.0])
    np.testing.assert_allclose(out[2], [-1.0, 0.0], rtol=1e-6)
    assert np.isfinite(out).all()


def test_cosine_loss_values():
    p = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [2.0, 2.0]])
    z = np.array([[5.0, 0.0], [-1.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    # Per row: 2 - 2cos = 0 (same direction), 4 (opposite), 2 (orthogonal), 0 (same, other scale).
    loss, _, _ = cosine_loss(p, z)
    assert isinstance(loss, float)
    assert loss == pytest.approx((0.0 + 4.0 + 2.0 + 0.0) / 4)


@pytest.mark.parametrize("shape", [(1, 3), (5, 4), (16, 16)])
def test_cosine_loss_gradients_match_finite_differences(shape):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    prediction = rng.standard_normal(shape)
    target = rng.standard_normal(shape) * 3.0
    loss, grad_prediction, grad_target = cosine_loss(prediction, target)
    assert grad_prediction.shape == prediction.shape and grad_target.shape == target.shape
    numeric_p = numeric_gradient(lambda: cosine_loss(prediction, target)[0], prediction)
    numeric_z = numeric_gradient(lambda: cosine_loss(prediction, target)[0], target)
    np.testing.assert_allclose(grad_prediction, numeric_p, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad_target, numeric_z, rtol=1e-6, atol=1e-9)


finite_rows = arrays(
    np.float64, (4, 3), elements=st.floats(-100, 100, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=60, deadline=None)
@given(prediction=finite_rows, target=finite_rows, scale=st.floats(1e-2, 1e2))
def test_cosine_loss_is_bounded_and_scale_invariant(prediction, target, scale):
    norms_ok = (np.linalg.norm(prediction, axis=1) > 1e-3).all() and (
        np.linalg.norm(target, axis=1) > 1e-3).all()
    loss, grad_p, grad_z = cosine_loss(prediction, target)
    assert -1e-9 <= loss <= 4.0 + 1e-9
    assert np.isfinite(grad_p).all() and np.isfinite(grad_z).all()
    if norms_ok:
        assert cosine_loss(scale * prediction, target)[0] == pytest.approx(loss, abs=1e-7)  # the 1e-12 guard in the norm shifts tiny inputs slightly
        # A scale-invariant loss has gradients orthogonal to its argument, row by row.
        np.testing.assert_allclose(np.sum(grad_p * prediction, axis=1), 0.0, atol=1e-9)
        np.testing.assert_allclose(np.sum(grad_z * target, axis=1), 0.0, atol=1e-9)


def test_cosine_loss_gradients_are_symmetric_in_their_arguments():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    loss_ab, grad_a, grad_b = cosine_loss(a, b)
    loss_ba, grad_b2, grad_a2 = cosine_loss(b, a)
    assert loss_ab == pytest.approx(loss_ba)
    np.testing.assert_allclose(grad_a, grad_a2)
    np.testing.assert_allclose(grad_b, grad_b2)


# -- std_normalized ---------------------------------------------------------------------------

def test_std_normalized_is_zero_for_a_constant_output():
    outputs = np.tile(np.array([0.3, -1.2, 2.0, 0.5]), (200, 1))
    assert std_normalized(outputs) == pytest.approx(0.0, abs=1e-12)


def test_std_normalized_is_scale_invariant_per_row():
    # Every row points the same way at a different length: still a complete collapse.
    direction = np.array([1.0, 2.0, -2.0])
    outputs = np.linspace(0.1, 10.0, 50)[:, None] * direction
    assert std_normalized(outputs) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("dim", [2, 16, 64])
def test_std_normalized_is_one_over_sqrt_d_for_isotropic_gaussians(dim):
    outputs = np.random.default_rng(dim).standard_normal((40_000, dim)) * 7.0
    assert std_normalized(outputs) * np.sqrt(dim) == pytest.approx(1.0, abs=0.02)


# -- singular values and effective rank ----------------------------------------------------------

def test_singular_values_are_sorted_and_vanish_for_a_constant_output():
    rng = np.random.default_rng(0)
    values = singular_values(rng.standard_normal((300, 8)))
    assert values.shape == (8,)
    assert (np.diff(values) <= 1e-12).all()
    constant = singular_values(np.tile(rng.standard_normal(8), (300, 1)))
    assert constant.max() < 1e-10


def test_effective_rank_is_one_for_rank_one_data():
    rng = np.random.default_rng(0)
    # Rows are multiples (positive and negative) of one direction.
    outputs = np.outer(rng.standard_normal(500), rng.standard_normal(16))
    assert effective_rank(outputs) == pytest.approx(1.0, abs=1e-6)


def test_effective_rank_is_one_for_a_constant_output():
    outputs = np.tile(np.arange(1.0, 9.0), (100, 1))
    assert effective_rank(outputs) == pytest.approx(1.0, abs=1e-6)


def test_effective_rank_is_zero_for_all_zero_outputs():
    assert effective_rank(np.zeros((10, 4))) == 0.0


@pytest.mark.parametrize("dim", [4, 16, 32])
def test_effective_rank_is_close_to_d_for_isotropic_data(dim):
    outputs = np.random.default_rng(dim).standard_normal((20_000, dim))
    rank = effective_rank(outputs)
    assert dim * 0.97 <= rank <= dim + 1e-9


def test_effective_rank_counts_the_used_directions():
    rng = np.random.default_rng(1)
    outputs = np.zeros((5000, 16))
    outputs[:, :3] = rng.standard_normal((5000, 3))
    assert effective_rank(outputs) == pytest.approx(3.0, abs=0.1)


# -- kNN accuracy -----------------------------------------------------------------------------------

def balanced_labels(num_classes, per_class, rng):
    labels = np.repeat(np.arange(num_classes), per_class)
    rng.shuffle(labels)
    return labels


def test_knn_accuracy_is_one_for_well_separated_clusters():
    rng = np.random.default_rng(0)
    labels = balanced_labels(8, 40, rng)
    centres = np.eye(16)[:8] * 10.0
    features = centres[labels] + 0.1 * rng.standard_normal((len(labels), 16))
    assert knn_accuracy(features, labels) == 1.0


@pytest.mark.parametrize("constant", [np.ones(16), np.zeros(16)], ids=["ones", "zeros"])
def test_knn_accuracy_is_chance_for_a_constant_representation(constant):
    rng = np.random.default_rng(1)
    labels = balanced_labels(8, 64, rng)
    features = np.tile(constant, (len(labels), 1))
    accuracy = knn_accuracy(features, labels)
    assert abs(accuracy - 1.0 / 8) < 0.1


def test_knn_accuracy_is_chance_for_random_features():
    rng = np.random.default_rng(2)
    labels = balanced_labels(8, 64, rng)
    accuracy = knn_accuracy(rng.standard_normal((len(labels), 16)), labels)
    assert accuracy < 0.3


def test_knn_accuracy_is_leave_one_out():
    # With k=1 a point that could vote for itself would always be right; the lone point of
    # class 0 must instead take its neighbour's label and be wrong.
    features = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.01]])
    labels = np.array([0, 1, 1])
    assert knn_accuracy(features, labels, k=1) == pytest.approx(2.0 / 3.0)


# -- 2-d projection ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kind", ["gaussian", "offset_cluster", "constant", "rank_one", "zeros", "one_dim", "two_rows"]
)
def test_projection_2d_stays_inside_the_unit_disc(kind):
    rng = np.random.default_rng(0)
    outputs = {
        "gaussian": rng.standard_normal((300, 16)),
        "offset_cluster": 50.0 + rng.standard_normal((300, 16)),
        "constant": np.tile(rng.standard_normal(16), (300, 1)),
        "rank_one": np.outer(rng.standard_normal(300), rng.standard_normal(16)),
        "zeros": np.zeros((300, 16)),
        "one_dim": rng.standard_normal((300, 1)),
        "two_rows": rng.standard_normal((2, 16)),
    }[kind]
    points = projection_2d(outputs)
    assert points.shape == (len(outputs), 2)
    assert np.isfinite(points).all()
    assert (np.linalg.norm(points, axis=1) <= 1.0 + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(outputs=arrays(
    np.float64,
    st.tuples(st.integers(1, 30), st.integers(1, 8)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
))
def test_projection_2d_stays_inside_the_unit_disc_for_any_input(outputs):
    points = projection_2d(outputs)
    assert points.shape == (len(outputs), 2)
    assert np.isfinite(points).all()
    assert (np.linalg.norm(points, axis=1) <= 1.0 + 1e-9).all()


def test_projection_2d_of_a_collapsed_output_is_a_single_dot():
    outputs = np.tile(np.array([1.0, 2.0, 3.0]), (100, 1))
    outputs += 1e-12 * np.random.default_rng(0).standard_normal(outputs.shape)
    points = projection_2d(outputs)
    assert np.ptp(points, axis=0).max() < 1e-9
