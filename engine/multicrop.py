"""Multi-crop, as DINO does it: two large "global" views and several small "local" views of one image.

The teacher sees only the global views; the student sees every view and is asked to predict the
teacher's output for each global view from every *other* view, so local crops must predict the
global picture ("local-to-global" correspondence). This module samples the views exactly as
DINO's data augmentation does (torchvision's RandomResizedCrop then a horizontal flip with
p = 0.5), lists the teacher/student pairs of DINO's loss, and measures what multi-crop costs and
how much of each global view a local view covers. Pure numpy; no Qt.

Reference: Caron et al. 2021 (arXiv 2104.14294), main_dino.py (DataAugmentationDINO, DINOLoss):
2 global crops at 224 px, scale (0.4, 1); local crops at 96 px, scale (0.05, 0.4); 8 locals.

Boxes are ``(x, y, w, h)`` in pixels of the source image: column and row of the top-left pixel,
then width and height; the box covers columns ``x .. x + w - 1`` and rows ``y .. y + h - 1``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from engine.params import ParameterError, ParamSpec

Box = tuple[int, int, int, int]

# torchvision's RandomResizedCrop default: aspect ratio (w / h) between 3/4 and 4/3.
DEFAULT_RATIO: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0)
# torchvision draws at most this many candidate boxes before the central-crop fallback.
MAX_ATTEMPTS = 10
FLIP_PROBABILITY = 0.5

# Whole-number settings, so controls and the CLI can build sliders and validate the same way.
NUM_LOCAL_SPEC = ParamSpec(
    name="num_local",
    kind=int,
    default=8,
    label="Local views",
    help="Small crops (scale 0.05-0.4, 96 px) the student sees besides the 2 global ones.",
    minimum=0,
    maximum=10,
)
NUM_GLOBAL_SPEC = ParamSpec(
    name="num_global",
    kind=int,
    default=2,
    label="Global views",
    help="Large crops (scale 0.4-1, 224 px) seen by both teacher and student; DINO uses 2.",
    minimum=1,
    maximum=2,
)
GLOBAL_SIZE_SPEC = ParamSpec(
    name="global_size",
    kind=int,
    default=224,
    label="Global size (px)",
    help="Side of a global view at network resolution.",
    minimum=8,
    maximum=1024,
)
LOCAL_SIZE_SPEC = ParamSpec(
    name="local_size",
    kind=int,
    default=96,
    label="Local size (px)",
    help="Side of a local view at network resolution.",
    minimum=8,
    maximum=1024,
)
MULTICROP_SPECS = (NUM_LOCAL_SPEC, NUM_GLOBAL_SPEC, GLOBAL_SIZE_SPEC, LOCAL_SIZE_SPEC)


def make_rng(seed_or_rng: int | np.random.Generator | None) -> np.random.Generator:
    """A numpy Generator: the one given, or a new one seeded with the given seed (None: fresh entropy)."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    return np.random.default_rng(seed_or_rng)


def _check_image_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"image {name} must be a whole number of pixels from 1 up, not {value!r}")


def _draw_crop_box(
    width: int,
    height: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[Box, bool]:
    """torchvision's RandomResizedCrop.get_params; returns the box and whether the fallback was used."""
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(MAX_ATTEMPTS):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect_ratio = math.exp(rng.uniform(log_ratio[0], log_ratio[1]))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            # torchvision draws the row (i) before the column (j); keep its order.
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            return (left, top, w, h), False

    # Fallback: the largest central crop whose aspect ratio is within the range.
    in_ratio = width / height
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w, h = width, height
    top = (height - h) // 2
    left = (width - w) // 2
    return (left, top, w, h), True


def sample_crop_box(
    width: int,
    height: int,
    scale: tuple[float, float],
    ratio: tuple[float, float] = DEFAULT_RATIO,
    rng: int | np.random.Generator | None = None,
) -> Box:
    """A random crop box ``(x, y, w, h)`` inside a ``width`` x ``height`` image, as torchvision does.

    This is ``torchvision.transforms.RandomResizedCrop.get_params``: up to 10 times, draw an area
    fraction uniformly in ``scale`` and an aspect ratio (w / h) log-uniformly in ``ratio``, round
    the width and height to whole pixels, and accept the first box that fits in the image, at a
    uniformly random position. If none fits, fall back to a central crop: the whole image, or,
    when the image is more elongated than ``ratio`` allows, its largest central part with the
    extreme allowed ratio. Because of the rounding the realised area fraction and ratio can
    differ from the drawn ones by about a pixel's worth; the fallback ignores ``scale``.

    ``rng`` is a numpy Generator or a seed.
    """
    _check_image_size(width, height)
    box, _ = _draw_crop_box(int(width), int(height), scale, ratio, make_rng(rng))
    return box


@dataclass(frozen=True)
class CropView:
    """One view of the image: which kind, where it was cut, its network resolution, and its flip."""

    kind: Literal["global", "local"]
    box: Box  # (x, y, w, h) in source-image pixels
    size: int  # side in pixels at network resolution (224 global, 96 local in DINO)
    flipped: bool  # mirrored left-right after the crop

    @property
    def is_global(self) -> bool:
        return self.kind == "global"

    @property
    def area(self) -> int:
        """Area of the crop in source-image pixels."""
        return self.box[2] * self.box[3]


def _validate_range(name: str, pair: object, upper: float | None) -> tuple[float, float]:
    """A (min, max) pair of finite numbers, each in (0, upper] (no upper bound when None)."""
    bounds = "(0, 1]" if upper == 1.0 else "(0, inf)"
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) for v in pair)
    ):
        raise ParameterError(f"{name} must be a pair (min, max) of numbers in {bounds}, not {pair!r}")
    low, high = float(pair[0]), float(pair[1])
    for value in (low, high):
        if not math.isfinite(value) or value <= 0 or (upper is not None and value > upper):
            raise ParameterError(f"{name} values must be in {bounds}, not {value:g} (in {tuple(pair)!r})")
    if low > high:
        raise ParameterError(f"{name} minimum {low:g} is greater than its maximum {high:g}; give (min, max) in {bounds}")
    return low, high


@dataclass(frozen=True)
class MultiCropConfig:
    """DINO's multi-crop settings (main_dino.py defaults)."""

    num_local: int = 8
    global_scale: tuple[float, float] = (0.4, 1.0)
    local_scale: tuple[float, float] = (0.05, 0.4)
    global_size: int = 224
    local_size: int = 96
    num_global: int = 2
    ratio: tuple[float, float] = DEFAULT_RATIO

    def validate(self) -> "MultiCropConfig":
        """Raise ParameterError (a one-line message naming the setting and its range) or return self."""
        NUM_LOCAL_SPEC.validate(self.num_local)
        NUM_GLOBAL_SPEC.validate(self.num_global)
        GLOBAL_SIZE_SPEC.validate(self.global_size)
        LOCAL_SIZE_SPEC.validate(self.local_size)
        _validate_range("global_scale", self.global_scale, 1.0)
        _validate_range("local_scale", self.local_scale, 1.0)
        _validate_range("ratio", self.ratio, None)
        return self

    @property
    def num_views(self) -> int:
        return self.num_global + self.num_local


def sample_views(
    width: int,
    height: int,
    config: MultiCropConfig | None = None,
    seed_or_rng: int | np.random.Generator | None = None,
) -> list[CropView]:
    """DINO's views of one ``width`` x ``height`` image: the global views first, then the locals.

    Each view is a RandomResizedCrop box (global or local scale range) followed by a horizontal
    flip with probability 0.5, drawn in that order view after view, so a seed gives the same views.
    """
    config = (config or MultiCropConfig()).validate()
    _check_image_size(width, height)
    rng = make_rng(seed_or_rng)
    plan = [("global", config.global_scale, config.global_size)] * config.num_global
    plan += [("local", config.local_scale, config.local_size)] * config.num_local
    views = []
    for kind, scale, size in plan:
        box, _ = _draw_crop_box(int(width), int(height), scale, config.ratio, rng)
        flipped = bool(rng.random() < FLIP_PROBABILITY)
        views.append(CropView(kind=kind, box=box, size=size, flipped=flipped))
    return views


def view_names(views: Sequence[CropView]) -> list[str]:
    """G1, G2, ... for the global views and L1, L2, ... for the local ones, in order."""
    names, counts = [], {"global": 0, "local": 0}
    for view in views:
        counts[view.kind] += 1
        names.append(f"{'G' if view.is_global else 'L'}{counts[view.kind]}")
    return names


def _global_indices(views: Sequence[CropView]) -> list[int]:
    return [i for i, view in enumerate(views) if view.is_global]


def loss_pairs(views: Sequence[CropView]) -> list[tuple[int, int]]:
    """The (teacher view, student view) index pairs of DINO's loss, in DINOLoss's order.

    The teacher sees only the global views; the student sees all views; a view is never compared
    with itself. With 2 globals and N locals: 2 * (N + 1) pairs.
    """
    return [
        (teacher, student)
        for teacher in _global_indices(views)
        for student in range(len(views))
        if student != teacher
    ]


def relative_cost(views: Sequence[CropView], include_teacher: bool = True) -> float:
    """Pixels pushed through the networks' forward passes, relative to DINO without multi-crop.

    What is counted: the student's forward pass over every view (sum of ``size**2``) plus the
    teacher's forward pass over the global views only (sum of ``size**2``), divided by the same
    count for the baseline of two global views at the same resolution (student and teacher each
    see both: ``4 * global_size**2``). Backward passes, and attention's quadratic cost in a ViT,
    are not counted; compute per image is taken as proportional to pixels. With
    ``include_teacher=False`` only the student's pixels are compared (``2 * global_size**2``).
    Defaults (2 x 224 + 8 x 96): 274,432 / 200,704 = 1.367.
    """
    global_sizes = [view.size for view in views if view.is_global]
    if not global_sizes:
        raise ValueError("relative_cost needs at least one global view to set the baseline")
    student = sum(view.size**2 for view in views)
    teacher = sum(size**2 for size in global_sizes) if include_teacher else 0
    global_pixels = sum(size**2 for size in global_sizes) / len(global_sizes)
    baseline = (2 if include_teacher else 1) * 2 * global_pixels
    return (student + teacher) / baseline


def overlap_fraction(local_box: Box, global_box: Box) -> float:
    """Fraction of ``local_box``'s area that lies inside ``global_box`` (0 = disjoint, 1 = inside)."""
    lx, ly, lw, lh = local_box
    gx, gy, gw, gh = global_box
    if lw <= 0 or lh <= 0:
        raise ValueError(f"local_box must have positive width and height, not {tuple(local_box)!r}")
    inter_w = max(0, min(lx + lw, gx + gw) - max(lx, gx))
    inter_h = max(0, min(ly + lh, gy + gh) - max(ly, gy))
    return (inter_w * inter_h) / (lw * lh)


def coverage_matrix(views: Sequence[CropView]) -> np.ndarray:
    """For each local view (rows, in order) the overlap_fraction with each global view (columns)."""
    globals_ = [view for view in views if view.is_global]
    locals_ = [view for view in views if not view.is_global]
    matrix = np.zeros((len(locals_), len(globals_)))
    for row, local in enumerate(locals_):
        for col, glob in enumerate(globals_):
            matrix[row, col] = overlap_fraction(local.box, glob.box)
    return matrix


def resize_weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """An ``out_size`` x ``in_size`` matrix mapping a row of input pixels to output pixels.

    Pixel centres are aligned as in PIL / torchvision (align_corners=False). Bilinear uses a
    triangle filter widened by the shrink factor when downscaling (antialiasing, like PIL).
    """
    scale = in_size / out_size
    centres = (np.arange(out_size) + 0.5) * scale  # output pixel centres in input coordinates
    if interpolation == "nearest":
        src = np.minimum(np.floor(centres).astype(int), in_size - 1)
        weights = np.zeros((out_size, in_size))
        weights[np.arange(out_size), src] = 1.0
        return weights
    support = max(scale, 1.0)
    distance = (np.arange(in_size)[None, :] + 0.5 - centres[:, None]) / support
    weights = np.clip(1.0 - np.abs(distance), 0.0, None)
    # The filter is at least one input pixel wide, so every row has weight; normalising also
    # handles the image border (PIL's behaviour).
    return weights / weights.sum(axis=1, keepdims=True)


def crop_to_array(image: np.ndarray, view: CropView, interpolation: str = "bilinear") -> np.ndarray:
    """The view as the network sees it: ``view.box`` cut from ``image``, resized to size x size, flipped.

    ``image`` is H x W x C (or H x W) uint8; the result has the same channels and dtype uint8.
    ``interpolation`` is "bilinear" (antialiased when shrinking) or "nearest".
    """
    if interpolation not in ("bilinear", "nearest"):
        raise ParameterError(f"interpolation must be 'bilinear' or 'nearest', not {interpolation!r}")
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be H x W or H x W x C, not shape {image.shape}")
    height, width = image.shape[:2]
    x, y, w, h = view.box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise ValueError(f"crop box {view.box} does not lie inside the {width} x {height} image")
    crop = image[y : y + h, x : x + w].astype(np.float32)
    rows = resize_weights(h, view.size, interpolation).astype(np.float32)
    cols = resize_weights(w, view.size, interpolation).astype(np.float32)
    if crop.ndim == 2:
        resized = rows @ crop @ cols.T
    else:
        resized = np.einsum("oh,hwc->owc", rows, crop, optimize=True)
        resized = np.einsum("pw,owc->opc", cols, resized, optimize=True)
    if view.flipped:
        resized = resized[:, ::-1]
    return np.ascontiguousarray(np.clip(np.rint(resized), 0, 255).astype(np.uint8))
