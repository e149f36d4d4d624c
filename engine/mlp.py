"""Small multilayer perceptrons with hand-written forward and backward passes.

Parameters live in a plain list of arrays ``[W1, b1, W2, b2, ...]`` so that an EMA teacher, a
weight-tied teacher (teacher = student) and an optimiser can all share one representation.
"""
from __future__ import annotations

import numpy as np


def init_mlp(sizes: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    """He-initialised weights and zero biases for layers ``sizes[0] -> ... -> sizes[-1]``."""
    params: list[np.ndarray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in))
        params.append(np.zeros(fan_out))
    return params


def mlp_forward(params: list[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Linear layers with ReLU between them (none after the last).

    Returns the output and the cache of layer inputs that ``mlp_backward`` needs.
    """
    cache = [x]
    h = x
    last = len(params) // 2 - 1
    for layer in range(last + 1):
        # In place on the fresh matmul result: the same arithmetic as ``h @ W + b`` and ReLU,
        # without two temporaries a layer (the step is dominated by such small-array overheads).
        h = h @ params[2 * layer]
        h += params[2 * layer + 1]
        if layer < last:
            np.maximum(h, 0.0, out=h)
            cache.append(h)
    return h, cache


def mlp_backward(
    params: list[np.ndarray], cache: list[np.ndarray], grad_output: np.ndarray,
    input_grad: bool = True,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Gradients of a scalar loss with respect to the parameters and to the input.

    ``grad_output`` is dLoss/dOutput for the batch; ``cache`` comes from ``mlp_forward``.
    With ``input_grad=False`` the gradient with respect to the input is not computed (None is
    returned in its place): a network that reads the data needs none, and it is a matmul saved.
    """
    num_layers = len(params) // 2
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    g = grad_output
    for layer in reversed(range(num_layers)):
        layer_input = cache[layer]
        grads[2 * layer] = layer_input.T @ g
        grads[2 * layer + 1] = np.add.reduce(g, axis=0)  # g.sum(axis=0) without the wrappers
        if layer == 0 and not input_grad:
            return grads, None
        g = g @ params[2 * layer].T
        if layer > 0:
            # ReLU passes gradient only where its output was positive (in place on the fresh g;
            # a multiply, not an assignment, so a NaN or inf still propagates as before).
            np.multiply(g, layer_input > 0.0, out=g)
    return grads, g


def copy_params(params: list[np.ndarray]) -> list[np.ndarray]:
    """A deep copy of a parameter list."""
    return [p.copy() for p in params]
