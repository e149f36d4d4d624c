"""The hand-written MLP (forward, backward, init, copy) and the optimisers that share its parameter
lists (SGD with momentum and weight decay, the EMA update).

Backward passes are checked against central finite differences in float64; the optimisers against
values worked out by hand.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.mlp import copy_params, init_mlp, mlp_backward, mlp_forward
from engine.optim import SGD, ema_update
from gradient_check import numeric_gradient


def smallest_preactivation(params, x):
    """The hidden pre-activation closest to zero: a finite difference is only valid away from kinks."""
    h = x
    smallest = np.inf
    num_layers = len(params) // 2
    for layer in range(num_layers - 1):
        pre = h @ params[2 * layer] + params[2 * layer + 1]
        smallest = min(smallest, float(np.min(np.abs(pre))))
        h = np.maximum(pre, 0.0)
    return smallest


def gradient_case(sizes, batch, seed):
    """An MLP with non-zero biases (so their gradients and the ReLU masks are not trivial), an
    input batch and the weights of a linear loss on the output, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    params = init_mlp(sizes, rng)
    for layer in range(len(params) // 2):
        params[2 * layer + 1] += 0.1 * rng.standard_normal(params[2 * layer + 1].shape)
    x = rng.standard_normal((batch, sizes[0]))
    weights_of_output = rng.standard_normal((batch, sizes[-1]))
    return params, x, weights_of_output


def check_mlp_gradients(sizes, batch, seed):
    params, x, weights_of_output = gradient_case(sizes, batch, seed)

    def loss():
        out, _ = mlp_forward(params, x)
        return float(np.sum(out * weights_of_output))

    out, cache = mlp_forward(params, x)
    param_grads, input_grad = mlp_backward(params, cache, weights_of_output)

    assert len(param_grads) == len(params)
    for param, grad in zip(params, param_grads):
        assert grad.shape == param.shape
        np.testing.assert_allclose(grad, numeric_gradient(loss, param), rtol=1e-6, atol=1e-8)

    assert input_grad.shape == x.shape
    np.testing.assert_allclose(input_grad, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    return params, x


# -- forward and init ------------------------------------------------------------------------

def test_init_mlp_shapes_he_scale_and_zero_biases():
    params = init_mlp([400, 300, 7], np.random.default_rng(0))
    assert [p.shape for p in params] == [(400, 300), (300,), (300, 7), (7,)]
    assert all(p.dtype == np.float64 for p in params)
    assert not params[1].any() and not params[3].any()
    # He initialisation: std sqrt(2 / fan_in).
    assert np.std(params[0]) == pytest.approx(np.sqrt(2.0 / 400), rel=0.02)


def test_init_mlp_is_reproducible_from_the_generator():
    a = init_mlp([5, 4, 3], np.random.default_rng(7))
    b = init_mlp([5, 4, 3], np.random.default_rng(7))
    c = init_mlp([5, 4, 3], np.random.default_rng(8))
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_forward_has_relu_between_layers_and_none_after_the_last():
    rng = np.random.default_rng(1)
    params = init_mlp([4, 6, 5, 3], rng)
    x = rng.standard_normal((50, 4))
    out, cache = mlp_forward(params, x)
    assert out.shape == (50, 3)
    assert (out < 0).any(), "the last layer must be linear"
    assert len(cache) == 3 and cache[0] is x
    for hidden in cache[1:]:
        assert (hidden >= 0).all()
    # Reference computation.
    h1 = np.maximum(x @ params[0] + params[1], 0)
    h2 = np.maximum(h1 @ params[2] + params[3], 0)
    np.testing.assert_allclose(out, h2 @ params[4] + params[5], rtol=1e-12)


def test_single_layer_is_affine():
    rng = np.random.default_rng(2)
    params = init_mlp([3, 2], rng)
    params[1][:] = [0.5, -0.5]
    x = rng.standard_normal((4, 3))
    out, cache = mlp_forward(params, x)
    np.testing.assert_allclose(out, x @ params[0] + params[1])
    assert len(cache) == 1


# -- backward against finite differences -------------------------------------------------------

@pytest.mark.parametrize(
    "sizes",
    [[5, 3], [4, 7, 3], [6, 8, 8, 2], [3, 16, 16, 16, 4], [32, 64, 32]],
    ids=lambda s: "-".join(map(str, s)),
)
def test_mlp_backward_matches_finite_differences(sizes):
    rng = np.random.default_rng(sum(sizes))
    params = init_mlp(sizes, rng)
    x = rng.standard_normal((6, sizes[0]))
    # The fixed seeds keep every pre-activation far from the ReLU kink (checked, not assumed).
    assert smallest_preactivation(params, x) > 1e-4
    check_mlp_gradients(sizes, batch=6, seed=sum(sizes))


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_mlp_backward_matches_finite_differences_for_any_shape(sizes, batch, seed):
    params, x, _ = gradient_case(sizes, batch, seed)
    assume(smallest_preactivation(params, x) > 1e-4)
    check_mlp_gradients(sizes, batch, seed)


def test_dead_relu_units_pass_no_gradient():
    params = [np.eye(2), np.array([0.0, -10.0]), np.ones((2, 1)), np.zeros(1)]
    x = np.array([[1.0, 1.0]])
    _, cache = mlp_forward(params, x)
    grads, input_grad = mlp_backward(params, cache, np.ones((1, 1)))
    # Unit 1 is dead (pre-activation -9): nothing flows into its incoming weights or the input.
    np.testing.assert_array_equal(grads[0][:, 1], 0.0)
    assert grads[1][1] == 0.0
    np.testing.assert_array_equal(input_grad, [[1.0, 0.0]])


def test_copy_params_is_deep():
    params = init_mlp([3, 4, 2], np.random.default_rng(0))
    copied = copy_params(params)
    assert all(np.array_equal(p, q) for p, q in zip(params, copied))
    assert all(not np.shares_memory(p, q) for p, q in zip(params, copied))
    copied[0][0, 0] += 1.0
    assert params[0][0, 0] != copied[0][0, 0]


# -- SGD --------------------------------------------------------------------------------------

def test_sgd_momentum_and_weight_decay_by_hand():
    w = np.array([1.0, -2.0])
    grad = np.array([0.5, 0.5])
    optimizer = SGD([w], momentum=0.9)
    optimizer.step([w], [grad], learning_rate=0.1, weight_decay=0.01)
    # g = grad + 0.01 w = [0.51, 0.48]; v = g; w -= 0.1 v
    np.testing.assert_allclose(w, [0.949, -2.048], rtol=1e-12)
    optimizer.step([w], [grad], learning_rate=0.1, weight_decay=0.01)
    # g = [0.50949, 0.47952]; v = 0.9 [0.51, 0.48] + g = [0.96849, 0.91152]; w -= 0.1 v
    np.testing.assert_allclose(w, [0.852151, -2.139152], rtol=1e-12)
    np.testing.assert_allclose(optimizer.velocity[0], [0.96849, 0.91152], rtol=1e-12)
    # The gradient array handed in is not modified by the weight decay.
    np.testing.assert_array_equal(grad, [0.5, 0.5])


def test_sgd_without_momentum_or_decay_is_plain_gradient_descent():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    optimizer = SGD([w], momentum=0.0)
    optimizer.step([w], [np.ones((2, 2))], learning_rate=0.5)
    np.testing.assert_allclose(w, [[0.5, 1.5], [2.5, 3.5]])
    optimizer.step([w], [np.ones((2, 2))], learning_rate=0.5, weight_decay=0.0)
    np.testing.assert_allclose(w, [[0.0, 1.0], [2.0, 3.0]])


def test_sgd_updates_in_place_and_reads_the_learning_rate_every_call():
    a, b = np.array([1.0]), np.array([2.0])
    keep_a, keep_b = a, b
    optimizer = SGD([a, b], momentum=0.5)
    optimizer.step([a, b], [np.array([1.0]), np.array([-1.0])], learning_rate=0.1)
    assert a is keep_a and b is keep_b
    np.testing.assert_allclose([a[0], b[0]], [0.9, 2.1])
    # Second call with another learning rate: v = 0.5 v + g = 1.5 (resp. -1.5).
    optimizer.step([a, b], [np.array([1.0]), np.array([-1.0])], learning_rate=1.0)
    np.testing.assert_allclose([a[0], b[0]], [0.9 - 1.5, 2.1 + 1.5])


def test_sgd_default_momentum_is_0_9():
    assert SGD([np.zeros(1)]).momentum == 0.9


# -- EMA ----------------------------------------------------------------------------------------

def test_ema_update_by_hand():
    target = [np.array([1.0, 2.0]), np.array([[0.0]])]
    online = [np.array([3.0, 6.0]), np.array([[4.0]])]
    keep = target[0]
    ema_update(target, online, momentum=0.75)
    assert target[0] is keep
    np.testing.assert_allclose(target[0], [1.5, 3.0])
    np.testing.assert_allclose(target[1], [[1.0]])
    np.testing.assert_array_equal(online[0], [3.0, 6.0])


def test_ema_momentum_one_leaves_the_target_unchanged():
    rng = np.random.default_rng(0)
    target = init_mlp([4, 5, 3], rng)
    online = init_mlp([4, 5, 3], rng)
    before = copy_params(target)
    ema_update(target, online, momentum=1.0)
    assert all(np.array_equal(t, b) for t, b in zip(target, before))


def test_ema_momentum_zero_copies_the_online_weights():
    rng = np.random.default_rng(0)
    target = init_mlp([4, 5, 3], rng)
    online = init_mlp([4, 5, 3], rng)
    ema_update(target, online, momentum=0.0)
    assert all(np.array_equal(t, o) for t, o in zip(target, online))
    assert all(not np.shares_memory(t, o) for t, o in zip(target, online))
