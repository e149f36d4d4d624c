"""Reading a lecturer's image file one way, quietly: `decode_as_shown` gives the picture (and so its
size and orientation) exactly as the multi-crop page uses it, for the page and for `distill-lab
crops`; what Qt's decoders complain about becomes one message instead of lines in the terminal.

Needs QtCore and QtGui only: no QApplication, no display, no widgets (the headless command imports
this module when it runs).

Qt's image plugins complain in two ways: warnings through Qt's message system (categories
qt.gui.imageio...), and libpng's errors straight to the process's stderr (Qt's PNG handler leaves
libpng's error callback at its default, an fprintf). Both are caught while one file is decoded.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from PySide6 import QtCore, QtGui

from desktop.safe_read import regular_file_problem

_DECODER_CATEGORY = "qt.gui.imageio"
_DECODER_PREFIXES = ("libpng", "Corrupt JPEG", "Premature end", "QImageIOHandler")

# A lecturer's 12-megapixel photo is shrunk on loading: the crops' geometry is the same in
# fractions of the image, and the thumbnails and repaints stay quick.
MAX_IMAGE_SIDE = 1024


class ImageLoadError(ValueError):
    """A file that is not an image Qt can decode; the message names the file."""


@dataclass(frozen=True)
class ShownImage:
    """A picture as the multi-crop page uses it, and the size of the file's picture it came from."""

    image: QtGui.QImage  # upright (EXIF rotation applied), at most MAX_IMAGE_SIDE a side, RGB888
    original_size: tuple[int, int]  # (width, height), upright, before any shrinking

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in the pixels the crops are sampled in."""
        return self.image.width(), self.image.height()


def decode_as_shown(path: str | Path) -> ShownImage:
    """Decode an image file as the multi-crop page shows it: turned upright by its EXIF orientation
    (phone photos) and shrunk to fit MAX_IMAGE_SIDE; ImageLoadError with a one-line message if the
    file is missing, unreadable, empty, not an image, damaged or too large."""
    path = Path(path)
    if path.is_dir():
        raise ImageLoadError(f"{str(path)!r} is a folder, not an image file")
    if not path.is_file():
        raise ImageLoadError(not_a_file_message(path))
    if not os.access(path, os.R_OK):
        raise ImageLoadError(f"{path.name!r} cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{path.name!r} is empty (0 bytes)")
    reader = QtGui.QImageReader(str(path))
    reader.setAutoTransform(True)
    with decoder_messages() as complaints:  # into the message, not onto the terminal
        image = reader.read()
    problem = decoding_problem(reader, image, complaints)
    if problem:
        raise ImageLoadError(f"{path.name!r} {problem}")
    original = (image.width(), image.height())
    if max(original) > MAX_IMAGE_SIDE:
        image = image.scaled(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE, QtCore.Qt.KeepAspectRatio,
                             QtCore.Qt.SmoothTransformation)
    return ShownImage(image.convertToFormat(QtGui.QImage.Format_RGB888), original)


def not_a_file_message(path) -> str:
    """Why a path that is not a regular file cannot be an image, in words: missing, or what it is
    (a FIFO or a device is not "no file", and is never opened: a FIFO's open() would block)."""
    problem = regular_file_problem(path) or "is not a regular file"
    if problem == "there is no such file":
        return f"there is no file {str(path)!r}"
    return f"{os.path.basename(str(path))!r} {problem}"


@contextlib.contextmanager
def decoder_messages() -> Iterator[list[str]]:
    """Collect, instead of printing, what Qt's image decoders say while the block runs.

    Yields the list the lines go into. Qt messages of other categories go on to the previous
    handler, and anything else written to stderr meanwhile is written out again afterwards."""
    lines: list[str] = []
    previous = None

    def handler(mode, context, message):
        if (getattr(context, "category", None) or "").startswith(_DECODER_CATEGORY):
            lines.append(message)
        elif previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = QtCore.qInstallMessageHandler(handler)
    capture = saved_stderr = None
    try:
        sys.stderr.flush()
        capture = tempfile.TemporaryFile()
        saved_stderr = os.dup(2)
        os.dup2(capture.fileno(), 2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (a windowed launcher): nothing to catch
        saved_stderr = None
    try:
        yield lines
    finally:
        if saved_stderr is not None:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.startswith(_DECODER_PREFIXES):
                    lines.append(line)
                elif line:
                    sys.stderr.write(line + "\n")  # not the decoder's: it belongs on stderr
        if capture is not None:
            capture.close()
        QtCore.qInstallMessageHandler(previous)


def decoding_problem(reader: QtGui.QImageReader, image: QtGui.QImage, complaints: list[str]) -> str | None:
    """What is wrong with the file ``reader`` just read, as words after its name; None if the
    picture came out whole (a decoder's harmless warnings are ignored)."""
    said = "; ".join(dict.fromkeys(complaints))  # each complaint once, in order
    if any("allocation limit" in line for line in complaints):
        size = QtGui.QImageReader(reader.fileName()).size()  # from the header; the failed reader says -1
        return f"is too large to open ({size.width()} x {size.height()} pixels)"
    if image.isNull() and reader.error() == QtGui.QImageReader.UnsupportedFormatError:
        return "is not an image in a format this app reads (PNG, JPEG, GIF, BMP, WebP, TIFF)"
    if image.isNull() or any("premature end" in line.lower() for line in complaints):
        # A truncated JPEG still decodes, its missing part grey: refuse it as well.
        return f"is damaged or incomplete ({said or reader.errorString()})"
    return None
