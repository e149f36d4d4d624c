"""Reading a lecturer's image file quietly: what Qt's decoders complain about becomes the page's
message instead of lines in the terminal.

Qt's image plugins complain in two ways: warnings through Qt's message system (categories
qt.gui.imageio...), and libpng's errors straight to the process's stderr (Qt's PNG handler leaves
libpng's error callback at its default, an fprintf). Both are caught while one file is decoded.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator

from PySide6 import QtCore, QtGui

from desktop.safe_read import regular_file_problem

_DECODER_CATEGORY = "qt.gui.imageio"
_DECODER_PREFIXES = ("libpng", "Corrupt JPEG", "Premature end", "QImageIOHandler")


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
