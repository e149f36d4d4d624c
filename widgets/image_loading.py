"""Photos for the multi-crop page and the command line: decoding with Qt's reader (EXIF rotation
honoured, a lecturer's large photo shrunk), folders of photos, the thumbnails of crops, and the
photo set training uses. Qt's image classes work without a window, so headless commands use it too.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtGui

from engine.multicrop import CropView, crop_to_array
from widgets.image_decoding import MAX_IMAGE_SIDE, ImageLoadError, decode_as_shown  # noqa: F401 (re-exported)

IMAGE_FILE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photograph: its name, file, pixels (H x W x 3 uint8) and the size of the file's image."""

    name: str
    path: Path
    qimage: QtGui.QImage
    array: np.ndarray
    original_size: tuple[int, int]  # (width, height) before any shrinking

    @property
    def width(self) -> int:
        return int(self.array.shape[1])

    @property
    def height(self) -> int:
        return int(self.array.shape[0])


def qimage_to_array(image: QtGui.QImage) -> np.ndarray:
    """The pixels of a QImage as an H x W x 3 uint8 array (alpha dropped)."""
    rgb = image.convertToFormat(QtGui.QImage.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return rows[:, : 3 * width].reshape(height, width, 3).copy()


def array_to_qimage(array: np.ndarray) -> QtGui.QImage:
    """An H x W x 3 uint8 array as a QImage that owns its pixels."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim == 2:
        array = np.ascontiguousarray(np.repeat(array[:, :, None], 3, axis=2))
    height, width = array.shape[:2]
    return QtGui.QImage(array.tobytes(), width, height, 3 * width, QtGui.QImage.Format_RGB888).copy()


def load_image(path: str | Path, name: str | None = None) -> LoadedImage:
    """Decode an image file as `distill-lab crops` reads it too; ImageLoadError (one line) if it cannot be."""
    path = Path(path)
    shown = decode_as_shown(path)
    return LoadedImage(name or path.stem, path, shown.image, qimage_to_array(shown.image), shown.original_size)


def make_thumbnails(array: np.ndarray, views: list[CropView]) -> list[QtGui.QImage]:
    """Each view as the network sees it (crop, resize to its size, flip), as QImages."""
    return [array_to_qimage(crop_to_array(array, view)) for view in views]


_thumbnail_executor: ThreadPoolExecutor | None = None


def thumbnail_executor() -> ThreadPoolExecutor:
    # One worker shared by all panels: resizing releases the GIL, so the page stays responsive.
    global _thumbnail_executor
    if _thumbnail_executor is None:
        _thumbnail_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="multicrop-thumbnails")
    return _thumbnail_executor
