"""Export for slides and notes: the page as a PNG at twice its on-screen resolution, each plot as
PNG or SVG (pyqtgraph's exporters), and the metric history as CSV."""
from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pyqtgraph.exporters as exporters
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from desktop.safe_read import regular_file_problem


class ExportError(Exception):
    """An export that could not be written; the message says why."""


def _check_target(path: str | Path) -> None:
    """A file is written only where there is nothing or a regular file: a folder cannot take it,
    and a FIFO or a device would block the write or swallow it."""
    if os.path.lexists(path):
        problem = regular_file_problem(path)
        if problem:
            raise ExportError(f"{path} {problem}: nothing written")


def page_png(widget: QtWidgets.QWidget, path: str | Path, scale: float = 2.0) -> QtGui.QImage:
    """Render ``widget`` at ``scale`` times its on-screen size and save it as PNG."""
    _check_target(path)
    size = widget.size() * scale
    image = QtGui.QImage(size, QtGui.QImage.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QtCore.Qt.white)
    widget.render(image)
    if not image.save(str(path), "PNG"):
        raise ExportError(f"could not write {path}")
    return image


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plot"


def plots(plot_widgets, folder: str | Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Each plot as PNG (twice its size) and SVG, named after its title; returns the files written.

    Each file is written beside its target and then renamed onto it, so only files really written
    are counted; if any is not (its name is taken by a folder, the disk is full), ExportError says
    how many were and which were not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(f"folder {folder} does not exist")
    written, failed = [], []
    for plot in plot_widgets:
        item = plot.getPlotItem()
        name = _slug(getattr(plot, "title", "") or "plot")
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            partial = folder / f".{name}.partial.{fmt}"  # the exporter reads the format off the name
            try:
                _check_target(path)
                if fmt == "png":
                    exporter = exporters.ImageExporter(item)
                    exporter.parameters()["width"] = int(item.boundingRect().width() * 2)
                    exporter.export(str(partial))
                else:
                    _svg(plot, partial)
                if not partial.is_file() or partial.stat().st_size == 0:
                    raise ExportError(f"{path.name}: nothing was written")
                os.replace(partial, path)
                written.append(path)
            except (ExportError, OSError) as error:
                failed.append(f"{path.name} ({getattr(error, 'strerror', None) or error})")
            finally:
                if partial.exists() and partial.is_file():
                    partial.unlink()
    if failed:
        raise ExportError(f"wrote {len(written)} of {len(written) + len(failed)} files in {folder}; "
                          f"not written: {', '.join(failed)}")
    return written


def _svg(widget: QtWidgets.QWidget, path: Path) -> None:
    # pyqtgraph 0.14's SVGExporter fails to parse the polylines Qt 6.11 writes (ValueError in
    # its clean-up pass), so the plot is painted straight into Qt's own SVG generator.
    generator = QtSvg.QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setTitle(getattr(widget, "title", "plot"))
    painter = QtGui.QPainter(generator)
    QtWidgets.QWidget.render(widget, painter, QtCore.QPoint())  # not QGraphicsView.render
    painter.end()


def history_csv(history: dict[str, np.ndarray], path: str | Path) -> int:
    """The metric history of a snapshot as CSV (one row a recorded step); returns the row count."""
    names = sorted(history, key=lambda name: name != "step")  # step first
    columns = [np.asarray(history[name]) for name in names]
    rows = len(columns[0]) if columns else 0
    _check_target(path)
    try:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for index in range(rows):
                writer.writerow([_cell(column[index]) for column in columns])
    except OSError as error:
        raise ExportError(f"could not write {path}: {error.strerror}") from None
    return rows


def _cell(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float):
        return "" if not np.isfinite(value) else f"{value:.6g}"
    return str(value)
