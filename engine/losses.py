"""Losses with their gradients, written out by hand."""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (a zero row stays zero)."""
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + _EPS)


def cosine_loss(
    prediction: np.ndarray, target: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """BYOL's loss ``2 - 2 cos(p, z)`` averaged over the batch.

    Returns the loss and its gradients with respect to ``prediction`` and ``target``
    (the caller decides whether the target's gradient is used: that is the stop-gradient).
    """
    batch = prediction.shape[0]
    p_norm = np.linalg.norm(prediction, axis=1, keepdims=True) + _EPS
    z_norm = np.linalg.norm(target, axis=1, keepdims=True) + _EPS
    p_hat = prediction / p_norm
    z_hat = target / z_norm
    cos = np.sum(p_hat * z_hat, axis=1, keepdims=True)
    loss = float(np.mean(2.0 - 2.0 * cos))
    # d cos / d p = (z_hat - cos * p_hat) / |p|, and symmetrically for z.
    grad_prediction = (-2.0 / batch) * (z_hat - cos * p_hat) / p_norm
    grad_target = (-2.0 / batch) * (p_hat - cos * z_hat) / z_norm
    return loss, grad_prediction, grad_target
