"""Collapse metrics, computed on a fixed evaluation set."""
from __future__ import annotations

import numpy as np

from engine.losses import l2_normalize


def std_normalized(outputs: np.ndarray) -> float:
    """Mean over dimensions of the per-dimension std of the l2-normalised outputs.

    0 means complete collapse; about 1/sqrt(d) means outputs spread over the sphere
    (SimSiam, Fig. 2 and footnote 3).
    """
    return float(np.mean(np.std(l2_normalize(outputs), axis=0)))


def singular_values(outputs: np.ndarray) -> np.ndarray:
    """Singular values of the centred l2-normalised outputs, largest first.

    Dimensional collapse shows as values that drop towards zero (Jing et al. 2022); complete
    collapse drops them all.
    """
    normalized = l2_normalize(outputs)
    centred = normalized - normalized.mean(axis=0, keepdims=True)
    return np.linalg.svd(centred, compute_uv=False)


def effective_rank(outputs: np.ndarray) -> float:
    """RankMe (Garrido et al. 2023): exp of the entropy of the normalised singular values.

    Computed on the l2-normalised, uncentred outputs as RankMe does (uncentred), so a collapse to
    one constant vector gives 1 and is not inflated by rounding noise around that constant.
    """
    values = np.linalg.svd(l2_normalize(outputs), compute_uv=False)
    total = values.sum()
    if total <= 0.0:
        return 0.0
    p = values / total
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def knn_accuracy(features: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Leave-one-out k-nearest-neighbour accuracy with cosine similarity (majority vote)."""
    normalized = l2_normalize(features)
    similarity = normalized @ normalized.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argpartition(-similarity, k, axis=1)[:, :k]
    votes = labels[neighbours]
    num_classes = int(labels.max()) + 1
    # Votes per (sample, class) with one bincount instead of a slow np.add.at.
    flat = (np.arange(len(labels))[:, None] * num_classes + votes).ravel()
    counts = np.bincount(flat, minlength=len(labels) * num_classes).reshape(len(labels), num_classes)
    # Ties go to the smallest label, which is fine for a chance-level collapsed representation.
    return float(np.mean(np.argmax(counts, axis=1) == labels))


def projection_2d(outputs: np.ndarray) -> np.ndarray:
    """The l2-normalised outputs projected on their two main axes.

    The axes come from the centred data but the points are not centred, so every point stays
    inside the unit disc and a collapsed representation shows as a single dot, not a blown-up
    cloud of rounding noise.
    """
    normalized = l2_normalize(outputs)
    centred = normalized - normalized.mean(axis=0, keepdims=True)
    try:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
    except np.linalg.LinAlgError:
        return np.zeros((len(outputs), 2))
    axes = vt[:2].T
    if axes.shape[1] < 2:
        axes = np.pad(axes, ((0, 0), (0, 2 - axes.shape[1])))
    return normalized @ axes
