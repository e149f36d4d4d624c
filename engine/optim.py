"""Stochastic gradient descent with momentum and L2 weight decay, and the EMA update."""
from __future__ import annotations

import numpy as np


class SGD:
    """SGD with heavy-ball momentum; weight decay adds ``weight_decay * w`` to each gradient.

    The learning rate, momentum and weight decay are read on every call, so a lecturer's slider
    change takes effect on the next step without a reset.
    """

    def __init__(self, params: list[np.ndarray], momentum: float = 0.9):
        self.momentum = momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def step(
        self,
        params: list[np.ndarray],
        grads: list[np.ndarray],
        learning_rate: float,
        weight_decay: float = 0.0,
    ) -> None:
        """Update ``params`` in place."""
        for param, grad, velocity in zip(params, grads, self.velocity):
            if weight_decay:
                grad = grad + weight_decay * param
            velocity *= self.momentum
            velocity += grad
            param -= learning_rate * velocity


def ema_update(target: list[np.ndarray], online: list[np.ndarray], momentum: float) -> None:
    """target <- momentum * target + (1 - momentum) * online, in place (BYOL's xi update)."""
    for t, o in zip(target, online):
        t *= momentum
        t += (1.0 - momentum) * o
