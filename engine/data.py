"""The toy world: seeded synthetic samples with content that augmentations keep and nuisance
that augmentations randomise.

A sample is a class centre plus a small within-class offset in a few *content* directions, plus
large *nuisance* coordinates; all of it is mixed by a fixed random rotation so no input axis is
special. An augmentation keeps the content (up to a little jitter) and draws the nuisance afresh,
so a representation that is invariant to augmentations must throw the nuisance away and keep the
class. Labels are used only for evaluation (kNN accuracy, colours), never for training.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ToyWorldConfig:
    """Sizes and noise levels of the toy world."""

    num_classes: int = 8
    content_dim: int = 6
    nuisance_dim: int = 26
    class_separation: float = 2.0
    within_class_std: float = 0.5
    nuisance_std: float = 3.0
    content_jitter_std: float = 0.8

    @property
    def input_dim(self) -> int:
        return self.content_dim + self.nuisance_dim


class ToyWorld:
    """Draws samples and their augmented views, reproducibly from a seed."""

    def __init__(self, config: ToyWorldConfig, seed: int):
        self.config = config
        world_rng = np.random.default_rng([seed, 1])
        self.class_centres = (
            world_rng.standard_normal((config.num_classes, config.content_dim))
            * config.class_separation
        )
        # A random orthogonal mixing so content and nuisance are not separate input axes.
        q, _ = np.linalg.qr(world_rng.standard_normal((config.input_dim, config.input_dim)))
        self.mixing = q
        self.rng = np.random.default_rng([seed, 2])

    def sample_content(
        self, batch: int, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Class labels and content coordinates of ``batch`` fresh samples."""
        rng = self.rng if rng is None else rng
        labels = rng.integers(0, self.config.num_classes, size=batch)
        content = self.class_centres[labels] + rng.standard_normal(
            (batch, self.config.content_dim)
        ) * self.config.within_class_std
        return labels, content

    def augment(self, content: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """One augmented view per row: jittered content, fresh nuisance, mixed into input space."""
        rng = self.rng if rng is None else rng
        batch = content.shape[0]
        jittered = content + rng.standard_normal(content.shape) * self.config.content_jitter_std
        nuisance = rng.standard_normal((batch, self.config.nuisance_dim)) * self.config.nuisance_std
        return np.concatenate([jittered, nuisance], axis=1) @ self.mixing

    def evaluation_set(self, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """A fixed set of views and labels for the metrics (same seed, same set)."""
        rng = np.random.default_rng([seed, 3])
        labels, content = self.sample_content(size, rng)
        return self.augment(content, rng), labels
