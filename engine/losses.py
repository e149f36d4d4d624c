"""Losses with their gradients, written out by hand."""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def row_norms(x: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis, kept: ``np.linalg.norm(x, axis=-1, keepdims=True)``.

    The same arithmetic as numpy's own (square, add.reduce, sqrt), minus its argument handling,
    which costs more than the sum itself on the engine's small arrays.
    """
    return np.sqrt(np.add.reduce(x * x, axis=-1, keepdims=True))


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (a zero row stays zero)."""
    norms = row_norms(x)
    norms += _EPS
    return x / norms


def cosine_loss(
    prediction: np.ndarray, target: np.ndarray
) -> tuple[float | np.ndarray, np.ndarray, np.ndarray]:
    """BYOL's loss ``2 - 2 cos(p, z)`` averaged over the batch.

    Returns the loss and its gradients with respect to ``prediction`` and ``target``
    (the caller decides whether the target's gradient is used: that is the stop-gradient).
    Rows are along axis -2 and features along axis -1: (batch, dim) gives a float loss; a stack
    such as (members, views, batch, dim) gives one loss per leading index, each computed with the
    same operations in the same order as for its (batch, dim) slice alone (the BYOL grid's
    members reproduce single runs bit for bit).
    """
    batch = prediction.shape[-2]
    p_norm = row_norms(prediction)
    p_norm += _EPS
    z_norm = row_norms(target)
    z_norm += _EPS
    p_hat = prediction / p_norm
    z_hat = target / z_norm
    cos = np.add.reduce(p_hat * z_hat, axis=-1, keepdims=True)
    loss = np.mean(2.0 - 2.0 * cos[..., 0], axis=-1)
    # d cos / d p = (z_hat - cos * p_hat) / |p|, and symmetrically for z. Evaluated in place, in
    # the order of ``(-2 / batch) * (z_hat - cos * p_hat) / p_norm``, so the bits are the same.
    scale = -2.0 / batch
    grad_prediction = cos * p_hat
    np.subtract(z_hat, grad_prediction, out=grad_prediction)
    grad_prediction *= scale
    grad_prediction /= p_norm
    grad_target = cos * z_hat
    np.subtract(p_hat, grad_target, out=grad_target)
    grad_target *= scale
    grad_target /= z_norm
    return (float(loss) if loss.ndim == 0 else loss), grad_prediction, grad_target
