"""Photos for multi-crop training: a checked set of small float images, their crops and DINO's
photometric augmentations (in spirit: colour jitter, random grayscale, blur). Pure numpy; decoding
files is the caller's job (the app and the CLI use Qt's reader).

A photo is shrunk once so its long side is at most ``TRAINING_SIDE`` pixels: every crop is then
cut from that small array and resized to the network's input size, which keeps a step fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.multicrop import CropView, MultiCropConfig, resize_weights, sample_views

TRAINING_SIDE = 96  # pixels on the long side of a photo as training sees it
MIN_SIDE = 8  # a photo smaller than this on either side cannot give a local crop
MIN_PHOTOS = 2  # part-to-whole needs at least two wholes to tell apart

# DINO's ColorJitter(0.4, 0.4, 0.2, 0.1) with p = 0.8 and RandomGrayscale(p = 0.2); hue is left out.
JITTER_PROBABILITY = 0.8
BRIGHTNESS = 0.4
CONTRAST = 0.4
SATURATION = 0.2
GRAYSCALE_PROBABILITY = 0.2
# DINO blurs global view 1 always, global view 2 with p = 0.1 and every local view with p = 0.5.
BLUR_PROBABILITY = {"global1": 1.0, "global2": 0.1, "local": 0.5}
# ImageNet-like normalisation so inputs are centred near 0 with unit-ish spread.
PIXEL_MEAN = 0.45
PIXEL_STD = 0.25
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class PhotoSetError(ValueError):
    """Too few usable photos to train on; the message says what was wrong with each."""


def as_rgb_float(pixels: np.ndarray) -> np.ndarray:
    """H x W (gray), H x W x 3 (RGB) or H x W x 4 (RGBA, alpha dropped) uint8 -> H x W x 3 float32 in [0, 1]."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"a photo must be H x W, H x W x 3 or H x W x 4, not shape {pixels.shape}")
    return pixels[:, :, :3].astype(np.float32) / 255.0


def shrink(image: np.ndarray, longest_side: int = TRAINING_SIDE) -> np.ndarray:
    """``image`` (H x W x C float) with its long side at most ``longest_side``, antialiased."""
    height, width = image.shape[:2]
    factor = longest_side / max(height, width)
    if factor >= 1.0:
        return np.ascontiguousarray(image, dtype=np.float32)
    new_h, new_w = max(1, round(height * factor)), max(1, round(width * factor))
    rows = resize_weights(height, new_h, "bilinear").astype(np.float32)
    cols = resize_weights(width, new_w, "bilinear").astype(np.float32)
    return np.ascontiguousarray(np.einsum("oh,hwc,pw->opc", rows, image, cols, optimize=True))


@dataclass
class PhotoSet:
    """The photos training uses: names and small float arrays, and what was refused and why."""

    names: list[str]
    images: list[np.ndarray]  # H x W x 3 float32 in [0, 1], long side <= TRAINING_SIDE
    problems: list[str]  # one line per refused photo

    def __len__(self) -> int:
        return len(self.images)

    @classmethod
    def from_arrays(cls, named_pixels: list[tuple[str, np.ndarray]]) -> "PhotoSet":
        """Check and shrink each (name, pixels); refuse unusable ones, raise if fewer than 2 remain."""
        names, images, problems = [], [], []
        for name, pixels in named_pixels:
            try:
                image = as_rgb_float(pixels)
            except ValueError as error:
                problems.append(f"{name}: {error}")
                continue
            if min(image.shape[:2]) < MIN_SIDE:
                problems.append(f"{name}: {image.shape[1]} x {image.shape[0]} px is too small "
                                f"(at least {MIN_SIDE} px a side)")
                continue
            names.append(name)
            images.append(shrink(image))
        if len(images) < MIN_PHOTOS:
            found = f"only {len(images)} usable photo" + ("" if len(images) == 1 else "s")
            detail = f" ({'; '.join(problems)})" if problems else ""
            raise PhotoSetError(f"multi-crop training needs at least {MIN_PHOTOS} photos; {found}{detail}")
        return cls(names, images, problems)


def crop_weights(starts: np.ndarray, lengths: np.ndarray, size: int, full_length: int) -> np.ndarray:
    """(num_boxes, size, full_length) matrices that cut ``[start, start + length)`` out of a row of
    ``full_length`` pixels and resize it to ``size`` pixels: multicrop.resize_weights ("bilinear",
    antialiased) of each box, shifted to where the box starts, for many boxes at once."""
    starts = np.asarray(starts, dtype=np.float64)[:, None, None]
    lengths = np.asarray(lengths, dtype=np.float64)[:, None, None]
    scale = lengths / size
    centres = starts + (np.arange(size)[None, :, None] + 0.5) * scale
    pixels = np.arange(full_length)[None, None, :]
    distance = (pixels + 0.5 - centres) / np.maximum(scale, 1.0)
    inside = (pixels >= starts) & (pixels < starts + lengths)
    weights = np.where(inside, np.clip(1.0 - np.abs(distance), 0.0, None), 0.0)
    return (weights / weights.sum(axis=2, keepdims=True)).astype(np.float32)


def crop_float(image: np.ndarray, views: list[CropView], size: int) -> np.ndarray:
    """Each view's box cut from ``image`` (H x W x 3 float), resized to ``size`` x ``size``, flipped
    when the view says so: (len(views), size, size, 3) float32."""
    height, width = image.shape[:2]
    boxes = np.array([view.box for view in views], dtype=np.float64).reshape(-1, 4)
    rows = crop_weights(boxes[:, 1], boxes[:, 3], size, height)
    cols = crop_weights(boxes[:, 0], boxes[:, 2], size, width)
    flipped = np.array([view.flipped for view in views], dtype=bool)
    cols[flipped] = cols[flipped, ::-1]
    # Rows first: (V, S, H) @ (H, W*3), then the columns: (V, 1, S, W) @ (V, S, W, 3).
    by_rows = np.matmul(rows, image.reshape(height, width * 3)).reshape(len(views), size, width, 3)
    return np.matmul(cols[:, None], by_rows)


def sample_photo_views(
    photos: PhotoSet, photo_indices: np.ndarray, config: MultiCropConfig, rng: np.random.Generator
) -> list[list[CropView]]:
    """For each photo index, its views (globals first, then locals) from the page's sampler."""
    return [sample_views(photos.images[i].shape[1], photos.images[i].shape[0], config, rng)
            for i in photo_indices]


def crops(photos: PhotoSet, photo_indices: np.ndarray, views: list[list[CropView]],
          kinds: slice, size: int) -> np.ndarray:
    """The crops ``views[b][kinds]`` of each photo, as (num_views, batch, size, size, 3) float32."""
    per_photo = [crop_float(photos.images[i], photo_views[kinds], size)
                 for i, photo_views in zip(photo_indices, views)]
    return np.ascontiguousarray(np.stack(per_photo, axis=1), dtype=np.float32)


def _blur(images: np.ndarray) -> np.ndarray:
    """A 3 x 3 binomial blur ([1, 2, 1] / 4 along each axis), edges repeated."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    rows = 0.25 * padded[:, :-2] + 0.5 * padded[:, 1:-1] + 0.25 * padded[:, 2:]
    return 0.25 * rows[:, :, :-2] + 0.5 * rows[:, :, 1:-1] + 0.25 * rows[:, :, 2:]


def photometric_augment(images: np.ndarray, blur_probability: float, rng: np.random.Generator) -> np.ndarray:
    """DINO's photometric augmentations on (n, S, S, 3) float images in [0, 1], each drawn per image."""
    n = images.shape[0]
    out = images.copy()
    jitter = rng.random(n) < JITTER_PROBABILITY
    brightness = np.where(jitter, rng.uniform(1 - BRIGHTNESS, 1 + BRIGHTNESS, n), 1.0)
    contrast = np.where(jitter, rng.uniform(1 - CONTRAST, 1 + CONTRAST, n), 1.0)
    saturation = np.where(jitter, rng.uniform(1 - SATURATION, 1 + SATURATION, n), 1.0)
    out *= brightness[:, None, None, None].astype(np.float32)
    gray = out @ _LUMA
    mean = gray.mean(axis=(1, 2))[:, None, None, None]
    out = mean + contrast[:, None, None, None].astype(np.float32) * (out - mean)
    gray = (out @ _LUMA)[..., None]
    out = gray + saturation[:, None, None, None].astype(np.float32) * (out - gray)
    to_gray = rng.random(n) < GRAYSCALE_PROBABILITY
    out[to_gray] = (out[to_gray] @ _LUMA)[..., None]
    blurred = rng.random(n) < blur_probability
    if blurred.any():
        out[blurred] = _blur(out[blurred])
    np.clip(out, 0.0, 1.0, out=out)
    return out


def network_input(images: np.ndarray) -> np.ndarray:
    """(n, S, S, 3) float images in [0, 1] -> (n, S*S*3) normalised rows for the network."""
    return ((images.reshape(images.shape[0], -1) - PIXEL_MEAN) / PIXEL_STD).astype(np.float32)
