"""Finite differences for the gradient tests: one central difference, shared by every test that
checks a hand-written backward pass against its forward pass."""
import numpy as np

EPS = 1e-6


def central_difference(loss, arrays, index, eps: float = EPS) -> float:
    """d loss() / d array[index] by central differences, perturbing in place and restoring.

    ``arrays`` is one array, or several whose entry at ``index`` moves together (a weight shared
    by two networks, say).
    """
    arrays = [arrays] if isinstance(arrays, np.ndarray) else list(arrays)
    original = [array[index] for array in arrays]
    for array, value in zip(arrays, original):
        array[index] = value + eps
    plus = loss()
    for array, value in zip(arrays, original):
        array[index] = value - eps
    minus = loss()
    for array, value in zip(arrays, original):
        array[index] = value
    return (plus - minus) / (2.0 * eps)


def numeric_gradient(loss, array, eps: float = EPS):
    """Central differences of ``loss()`` with respect to every entry of ``array``."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        grad[index] = central_difference(loss, array, index, eps)
    return grad
