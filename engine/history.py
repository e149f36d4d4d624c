"""A bounded metric history: a two-hour lecture must not grow memory or frame cost without end."""
from __future__ import annotations

import numpy as np


class BoundedHistory:
    """Records (step, metrics) rows; when ``max_points`` is reached, every other row is dropped and
    the recording stride doubles, so the whole run stays visible at a fixed cost.

    The first ``keep_first`` rows are never dropped: the first steps after a reset, recorded at every
    step, are where a fast collapse happens."""

    def __init__(self, names: tuple[str, ...], max_points: int = 1024, keep_first: int = 0):
        if max_points < 4 or max_points % 2:
            raise ValueError("max_points must be an even number of at least 4")
        if not 0 <= keep_first <= max_points // 2:
            raise ValueError("keep_first must be between 0 and half of max_points")
        self.names = names
        self.max_points = max_points
        self.keep_first = keep_first
        self._rows = np.empty((max_points, len(names) + 1))
        self._count = 0
        self._stride = 1
        self._offered = 0

    def __len__(self) -> int:
        return self._count

    def record(self, step: int, metrics: dict[str, float]) -> None:
        """Offer a row; it is kept when it falls on the current stride."""
        self._offered += 1
        if (self._offered - 1) % self._stride:
            return
        if self._count == self.max_points:
            head = self.keep_first
            kept = np.concatenate([self._rows[:head], self._rows[head: self._count: 2]])
            self._count = len(kept)
            self._rows[: self._count] = kept
            self._stride *= 2
            if (self._offered - 1) % self._stride:
                return
        self._rows[self._count, 0] = step
        self._rows[self._count, 1:] = [metrics[name] for name in self.names]
        self._count += 1

    def steps(self) -> np.ndarray:
        """A copy of the recorded steps."""
        return self._rows[: self._count, 0].copy()

    def column(self, name: str) -> np.ndarray:
        """A copy of one metric over the recorded steps."""
        return self._rows[: self._count, 1 + self.names.index(name)].copy()

    def as_dict(self) -> dict[str, list[float]]:
        """Steps and every metric as plain lists (for JSON)."""
        out = {"step": self.steps().astype(int).tolist()}
        for name in self.names:
            out[name] = self.column(name).tolist()
        return out
