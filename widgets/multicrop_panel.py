"""The multi-crop page: DINO's global and local views of a real photograph, what the networks see,
which view is compared with which, and how much of each local crop lies inside each global one.

Nothing here trains: the views are drawn by engine.multicrop exactly as DINO's augmentation samples
them, and every number on the page (loss terms, cost, overlaps) comes from that module.
Reads top to bottom: images and thumbnails, the four drawings, then the page (build, wire, draw).
"""
from __future__ import annotations

import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from engine.multicrop import (
    DEFAULT_RATIO,
    FLIP_PROBABILITY,
    NUM_LOCAL_SPEC,
    CropView,
    MultiCropConfig,
    coverage_matrix,
    crop_to_array,
    loss_pairs,
    relative_cost,
    sample_views,
    view_names,
)
from engine.params import ParameterError
from resources.paths import bundled_images
from widgets.control_column import ControlColumn, HideableControl
from widgets.controls import ParamSlider
from widgets.diagrams.multicrop_diagram import MultiCropDiagram
from widgets.lesson_strip import add_concept_extras
from widgets.image_decoding import MAX_IMAGE_SIDE, ImageLoadError, decode_as_shown  # noqa: F401 (re-exported)
from widgets.theme import BASE_FONT_PT, LIGHT, Theme

DEFAULT_IMAGE = "cat"
SEED_MAXIMUM = 2**31 - 1
MIN_DRAWING_HEIGHT = 470  # at zoom 1; ten local rows stay legible down to this
OPEN_IMAGE_TEXT = "Open image..."
IMAGE_FILE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"

HELP_TEXT = """
<p><b>Part-to-whole learning.</b> DINO cuts every training image into several views: random
crops whose area is a fraction of the image drawn from a scale range, with an aspect ratio between
3:4 and 4:3, resized to the network's input size and mirrored half the time.</p>
<p><b>Global views</b> (blue, solid) are large: 2 of them, scale 0.4&ndash;1, 224&nbsp;px.
<b>Local views</b> (green, dashed) are small: scale 0.05&ndash;0.4, 96&nbsp;px.</p>
<p><b>The teacher sees only the two global views.</b> The student sees every view and must
produce, from each one, the teacher's output for each <i>other</i> global view. From a patch of
fur the student has to predict what the teacher says about the whole cat: it must learn which
parts belong to which whole (local-to-global correspondence). A view is never compared with
itself: that pair is skipped.</p>
<p><b>Cheap extra views.</b> A 96&nbsp;px local view has (96/224)&sup2; &asymp; 18% of a global
view's pixels, so 8 locals add about 37% to the pixels the networks process. In DINO's Table 8,
adding 10 local views raised ImageNet linear accuracy from 67.8% to 74.6% (100 epochs).</p>
<p><b>Defaults</b> are DINO's (main_dino.py): 2 global crops, scale 0.4&ndash;1, 224&nbsp;px;
8 local crops, scale 0.05&ndash;0.4, 96&nbsp;px. The arrows (bottom left) show how much of each
local crop lies inside each global crop: a local crop outside both still has to predict them.</p>
"""


# ---- images and thumbnails (no widgets) --------------------------------------------------------


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


def _executor() -> ThreadPoolExecutor:
    # One worker shared by all panels: resizing releases the GIL, so the page stays responsive.
    global _thumbnail_executor
    if _thumbnail_executor is None:
        _thumbnail_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="multicrop-thumbnails")
    return _thumbnail_executor


# ---- drawing helpers ----------------------------------------------------------------------------


def _colour(name: str, alpha: int = 255) -> QtGui.QColor:
    colour = QtGui.QColor(name)
    colour.setAlpha(alpha)
    return colour


def _text_on(fill: str) -> QtGui.QColor:
    """Black or white, whichever reads better on ``fill``."""
    colour = QtGui.QColor(fill)
    luminance = 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
    return QtGui.QColor("#000000" if luminance > 0.45 else "#FFFFFF")


def _view_pen(view_is_global: bool, theme: Theme, zoom: float, width: float | None = None) -> QtGui.QPen:
    """Global views: blue, solid, thick. Local views: green, dashed."""
    if view_is_global:
        pen = QtGui.QPen(_colour(theme.global_view), width or 5.0 * zoom)
    else:
        pen = QtGui.QPen(_colour(theme.local_view), width or 3.5 * zoom)
        pen.setDashPattern([2.2, 1.3])  # in pen widths: long dashes stay visible on a busy photo
    pen.setJoinStyle(QtCore.Qt.MiterJoin)
    return pen


class Canvas(QtWidgets.QWidget):
    """A drawing with a title line, sized by the theme's text size and the presenter zoom."""

    def __init__(self, title: str, theme: Theme, parent=None):
        super().__init__(parent)
        self.title = title
        self.theme, self.zoom = theme, 1.0
        self.title_height = 0.0
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Expanding)

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        self.update()

    def text_font(self, scale: float = 1.0, bold: bool = False) -> QtGui.QFont:
        font = QtGui.QFont()
        font.setPointSizeF(max(6.0, BASE_FONT_PT * scale * self.zoom))
        font.setBold(bold)
        return font

    def fitted_font(self, text: str, width: float, scale: float = 1.0, bold: bool = False,
                    smallest: float = 0.7) -> QtGui.QFont:
        """The largest font from ``scale`` down to ``smallest`` x ``scale`` in which ``text`` fits."""
        font = self.text_font(scale, bold)
        size = font.pointSizeF()
        while QtGui.QFontMetricsF(font).horizontalAdvance(text) > width and size > scale * smallest * BASE_FONT_PT * self.zoom:
            size -= 0.5
            font.setPointSizeF(size)
        return font

    def begin(self) -> tuple[QtGui.QPainter, QtCore.QRectF]:
        """A painter on a cleared canvas with the title drawn; returns it and the area below the title."""
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        painter.fillRect(self.rect(), _colour(self.theme.background))
        pad = 4 * self.zoom
        area = QtCore.QRectF(self.rect()).adjusted(pad, pad, -pad, -pad)
        font = self.fitted_font(self.title, area.width(), 1.1, bold=True)
        painter.setFont(font)
        painter.setPen(_colour(self.theme.foreground))
        height = QtGui.QFontMetricsF(font).height()
        self.title_height = height
        painter.drawText(QtCore.QRectF(area.left(), area.top(), area.width(), height),
                         QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter,
                         QtGui.QFontMetricsF(font).elidedText(self.title, QtCore.Qt.ElideRight, area.width()))
        return painter, area.adjusted(0, height + 4 * self.zoom, 0, 0)

    def draw_text(self, painter: QtGui.QPainter, rect: QtCore.QRectF, text: str, font: QtGui.QFont,
                  colour: QtGui.QColor, align=QtCore.Qt.AlignCenter) -> None:
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(rect, align, text)


# ---- the photograph with its crops ---------------------------------------------------------------


class PhotoCanvas(Canvas):
    """The photo with every crop drawn on it, labelled G1, G2, L1..LN."""

    def __init__(self, theme: Theme, parent=None):
        super().__init__("Crops on the photo", theme, parent)
        self.image: QtGui.QImage | None = None
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.image_rect = QtCore.QRectF()  # where the photo was last drawn, in widget pixels
        self.setToolTip("The photograph with DINO's views cut from it: global crops G1, G2 in blue "
                        "(solid), local crops L1... in green (dashed).")

    def set_views(self, image: QtGui.QImage, views: list[CropView]) -> None:
        self.image, self.views, self.names = image, list(views), view_names(views)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self.begin()
        area = area.adjusted(0, self._draw_legend(painter, area), 0, 0)
        if self.image is None or self.image.isNull() or area.height() < 10:
            painter.end()
            return
        image_w, image_h = self.image.width(), self.image.height()
        scale = min(area.width() / image_w, area.height() / image_h)
        target = QtCore.QRectF(0, 0, image_w * scale, image_h * scale)
        target.moveCenter(area.center())
        target.moveTop(area.top())
        self.image_rect = target
        # A tiny image is blown up with square pixels; a large one is shrunk smoothly.
        painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform, scale < 1)
        painter.drawImage(target, self.image)

        def box_rect(view: CropView) -> QtCore.QRectF:
            x, y, w, h = view.box
            return QtCore.QRectF(target.left() + x * scale, target.top() + y * scale, w * scale, h * scale)

        # Globals first, locals on top: the small crops must not be hidden by the big outlines.
        order = sorted(range(len(self.views)), key=lambda i: self.views[i].is_global, reverse=True)
        halo = _colour("#FFFFFF" if self.theme.name == "light" else "#000000", 200)
        for index in order:
            view = self.views[index]
            pen = _view_pen(view.is_global, self.theme, self.zoom)
            halo_pen = QtGui.QPen(halo, pen.widthF() + 3 * self.zoom)
            halo_pen.setJoinStyle(QtCore.Qt.MiterJoin)
            rect = box_rect(view)
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.setPen(halo_pen)
            painter.drawRect(rect)
            painter.setPen(pen)
            painter.drawRect(rect)
        # Global tags claim their corners first and are drawn last, so no local tag hides them.
        placed: list[QtCore.QRectF] = []
        tags = [self._place_tag(box_rect(self.views[index]), self.views[index], self.names[index], placed)
                for index in order]
        for tag in reversed(tags):
            self._draw_tag(painter, *tag)
        painter.end()

    def _draw_legend(self, painter: QtGui.QPainter, area: QtCore.QRectF) -> float:
        """Line samples with words: right-aligned on the title line if there is room, else on a line
        of their own. Returns the height taken below the title."""
        font = self.text_font(1.0, bold=True)
        metrics = QtGui.QFontMetricsF(font)
        painter.setFont(font)
        sample, gap = 30 * self.zoom, 6 * self.zoom
        entries = ((True, "global"), (False, "local"))
        width = sum(sample + gap + metrics.horizontalAdvance(text) + 2 * gap for _, text in entries)
        title_width = QtGui.QFontMetricsF(self.text_font(1.1, bold=True)).horizontalAdvance(self.title)
        on_title_line = title_width + width + 12 * self.zoom <= area.width()
        if on_title_line:
            x, y = area.right() - width, area.top() - 4 * self.zoom - self.title_height / 2
        else:
            x, y = area.left(), area.top() + metrics.height() / 2
        for is_global, text in entries:
            painter.setPen(_view_pen(is_global, self.theme, self.zoom))
            painter.drawLine(QtCore.QPointF(x, y), QtCore.QPointF(x + sample, y))
            painter.setPen(_colour(self.theme.foreground))
            text_rect = QtCore.QRectF(x + sample + gap, y - metrics.height() / 2, metrics.horizontalAdvance(text) + 2,
                                      metrics.height())
            painter.drawText(text_rect, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter, text)
            x = text_rect.right() + 2 * gap
        return 0.0 if on_title_line else metrics.height() + 4 * self.zoom

    def _place_tag(self, box: QtCore.QRectF, view: CropView, name: str,
                   placed: list[QtCore.QRectF]) -> tuple[QtCore.QRectF, QtGui.QFont, CropView, str]:
        """A label at a corner of the box, moved to another corner if it would cover a placed label."""
        font = self.text_font(1.0 if view.is_global else 0.92, bold=True)
        metrics = QtGui.QFontMetricsF(font)
        width, height = metrics.horizontalAdvance(name) + 8 * self.zoom, metrics.height() + 1 * self.zoom
        inset = _view_pen(view.is_global, self.theme, self.zoom).widthF() / 2
        left, right = box.left() + inset, box.right() - inset - width
        top, bottom = box.top() + inset, box.bottom() - inset - height
        candidates = [(left, top), (right, top), (left, bottom), (right, bottom),
                      (box.left(), box.top() - height), (box.left(), box.bottom())]
        tag = None
        for x, y in candidates:
            rect = QtCore.QRectF(x, y, width, height)
            if not any(rect.intersects(other) for other in placed) and self.image_rect.adjusted(-2, -2, 2, 2).contains(rect):
                tag = rect
                break
        if tag is None:
            tag = QtCore.QRectF(candidates[0][0], candidates[0][1], width, height)
        placed.append(tag)
        return tag, font, view, name

    def _draw_tag(self, painter: QtGui.QPainter, tag: QtCore.QRectF, font: QtGui.QFont, view: CropView,
                  name: str) -> None:
        fill = self.theme.global_view if view.is_global else self.theme.local_view
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(_colour(fill))
        painter.drawRect(tag)
        self.draw_text(painter, tag, name, font, _text_on(fill))


# ---- the views at network resolution --------------------------------------------------------------


class ThumbnailCanvas(Canvas):
    """Each view as the network receives it, all drawn at one common scale (a local is smaller)."""

    def __init__(self, theme: Theme, parent=None):
        super().__init__("What the networks see", theme, parent)
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.thumbnails: list[QtGui.QImage] | None = None
        self.display_scale = 1.0  # screen pixels per network pixel, the same for every view
        self.cells: list[QtCore.QRectF] = []  # where each thumbnail was last drawn
        self.setToolTip("Each view after cropping, resizing to the network's input (224 px global, "
                        "96 px local) and the random flip (marked \u2194). All are drawn at the same "
                        "scale, so a local view is visibly smaller.")

    def set_views(self, views: list[CropView], thumbnails: list[QtGui.QImage] | None) -> None:
        self.views, self.names, self.thumbnails = list(views), view_names(views), thumbnails
        self.update()

    def labels(self) -> list[str]:
        return [name + (" \u2194" if view.flipped else "") for name, view in zip(self.names, self.views)]

    def layout_cells(self, area: QtCore.QRectF, label_font: QtGui.QFont, gap: float) -> tuple[float, list[QtCore.QRectF]]:
        """The largest common scale at which all views fit in ``area``; a cell is at least as wide as its label."""
        metrics = QtGui.QFontMetricsF(label_font)
        label_height = metrics.height()
        label_widths = [metrics.horizontalAdvance(label) for label in self.labels()]

        def flow(scale: float) -> list[QtCore.QRectF] | None:
            cells, x, y, row_height = [], area.left(), area.top(), 0.0
            for index, view in enumerate(self.views):
                side = view.size * scale
                width = max(side, label_widths[index])
                starts_locals = index > 0 and not view.is_global and self.views[index - 1].is_global
                if cells and (x + width > area.right() + 0.5 or starts_locals and x + width * 3 > area.right()):
                    x, y, row_height = area.left(), y + row_height + gap, 0.0
                if width > area.width():
                    return None
                cells.append(QtCore.QRectF(x + (width - side) / 2, y, side, side))
                x += width + gap
                row_height = max(row_height, side + label_height)
            return cells if y + row_height <= area.bottom() + 0.5 else None

        low, high = 0.02, 2.0
        if flow(high) is not None:
            return high, flow(high)
        for _ in range(30):  # bisection on the scale
            middle = (low + high) / 2
            low, high = (middle, high) if flow(middle) is not None else (low, middle)
        return low, flow(low) or []

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.title = "What the networks see"
        if self.views:
            sizes = sorted({view.size for view in self.views}, reverse=True)
            self.title += f" ({' / '.join(f'{s}' for s in sizes)} px, at {self.display_scale:.0%})"
        painter, area = self.begin()
        label_font = self.text_font(0.95, bold=True)
        label_height = QtGui.QFontMetricsF(label_font).height()
        scale, cells = self.layout_cells(area, label_font, 8 * self.zoom)
        if abs(scale - self.display_scale) > 0.005:
            self.display_scale = scale
            QtCore.QTimer.singleShot(0, self.update)  # the title names the scale: redraw it once
        self.cells = cells
        painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform, True)
        for index, (view, cell) in enumerate(zip(self.views, cells)):
            thumbnail = self.thumbnails[index] if self.thumbnails else None
            if thumbnail is not None:
                painter.drawImage(cell, thumbnail)
            else:
                painter.fillRect(cell, _colour(self.theme.panel))
                self.draw_text(painter, cell, "\u2026", self.text_font(1.2), _colour(self.theme.muted))
            pen = _view_pen(view.is_global, self.theme, self.zoom, width=(3.5 if view.is_global else 2.5) * self.zoom)
            painter.setPen(pen)
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawRect(cell)
            label = self.labels()[index]
            label_width = QtGui.QFontMetricsF(label_font).horizontalAdvance(label) + 2
            label_rect = QtCore.QRectF(cell.center().x() - label_width / 2, cell.bottom() + 1, label_width, label_height)
            self.draw_text(painter, label_rect, label, label_font, _colour(self.theme.foreground))
        painter.end()


# ---- which view is compared with which -------------------------------------------------------------


class PairMatrixCanvas(Canvas):
    """Rows: the teacher's views (globals only). Columns: the student's views (all). A cell is a loss term."""

    def __init__(self, theme: Theme, parent=None):
        super().__init__("Loss terms: teacher view \u00d7 student view", theme, parent)
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.pairs: set[tuple[int, int]] = set()
        self.setToolTip("Each filled cell is one term of DINO's loss: the student's output for the "
                        "column's view must match the teacher's output for the row's view. The teacher "
                        "sees only the global views; a view is never compared with itself (hatched).")

    @property
    def teacher_views(self) -> list[int]:
        return [index for index, view in enumerate(self.views) if view.is_global]

    @property
    def num_loss_terms(self) -> int:
        return len(self.pairs)

    def set_views(self, views: list[CropView]) -> None:
        self.views, self.names = list(views), view_names(views)
        self.pairs = set(loss_pairs(views))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self.begin()
        teachers, students = self.teacher_views, list(range(len(self.views)))
        if not teachers:
            painter.end()
            return
        z = self.zoom
        text_colour = _colour(self.theme.foreground)
        note_font = self.text_font(0.95)
        note_height = QtGui.QFontMetricsF(note_font).height()
        axis_text = "rows: teacher (globals only) \u00b7 columns: student (all views)"
        # On one line when it fits, else on two: a narrow page at presenter zoom clipped it.
        axis_lines = [axis_text]
        if QtGui.QFontMetricsF(note_font).horizontalAdvance(axis_text) > area.width():
            axis_lines = axis_text.split(" \u00b7 ")
        for line, text in enumerate(axis_lines):
            self.draw_text(painter, QtCore.QRectF(area.left(), area.top() + line * note_height, area.width(),
                                                  note_height), text,
                           self.fitted_font(text, area.width(), 0.95), _colour(self.theme.muted),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        footer_lines = 2
        grid = area.adjusted(0, len(axis_lines) * note_height + 4 * z, 0, -(footer_lines * note_height + 8 * z))
        header_font = self.text_font(1.0, bold=True)
        header_metrics = QtGui.QFontMetricsF(header_font)
        row_header_width = header_metrics.horizontalAdvance("G2") + 14 * z
        column_width = min((grid.width() - row_header_width) / len(students), 84 * z)
        header_height = header_metrics.height() + 2 * z
        cell_height = min((grid.height() - header_height) / len(teachers), max(column_width, 34 * z) * 1.1)
        cell_height = max(cell_height, 8.0)
        # Headers shrink together when twelve columns do not fit "L10" at full size.
        header_font = self.fitted_font("L10", column_width - 2 * z, 1.0, bold=True, smallest=0.6)
        for column, student in enumerate(students):
            x = grid.left() + row_header_width + column * column_width
            colour = self.theme.global_view if self.views[student].is_global else self.theme.local_view
            self.draw_text(painter, QtCore.QRectF(x, grid.top(), column_width, header_height), self.names[student],
                           header_font, _colour(colour))
        inset = max(1.5, 2 * z)
        for row, teacher in enumerate(teachers):
            y = grid.top() + header_height + row * cell_height
            self.draw_text(painter, QtCore.QRectF(grid.left(), y, row_header_width - 6 * z, cell_height),
                           self.names[teacher], self.text_font(1.0, bold=True), _colour(self.theme.global_view),
                           QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
            for column, student in enumerate(students):
                cell = QtCore.QRectF(grid.left() + row_header_width + column * column_width, y, column_width,
                                     cell_height).adjusted(inset, inset, -inset, -inset)
                if (teacher, student) in self.pairs:
                    fill = self.theme.global_view if self.views[student].is_global else self.theme.local_view
                    painter.fillRect(cell, _colour(fill))
                    self._draw_tick(painter, cell, _text_on(fill))
                else:
                    painter.fillRect(cell, _colour(self.theme.panel))
                    painter.fillRect(cell, QtGui.QBrush(_colour(self.theme.muted), QtCore.Qt.BDiagPattern))
                    painter.setPen(QtGui.QPen(_colour(self.theme.muted), max(1.0, z)))
                    painter.setBrush(QtCore.Qt.NoBrush)
                    painter.drawRect(cell)
        # Footer: the count, spelt out, and the legend.
        footer_top = grid.top() + header_height + len(teachers) * cell_height + 6 * z
        count = f"{self.num_loss_terms} loss terms = {len(teachers)} \u00d7 {len(students)} \u2212 {len(teachers)}"
        legend = "teachers \u00d7 students \u2212 same-view pairs (hatched: skipped)"
        for line, (text, bold) in enumerate(((count, True), (legend, False))):
            rect = QtCore.QRectF(area.left(), footer_top + line * note_height, area.width(), note_height)
            self.draw_text(painter, rect, text, self.fitted_font(text, area.width(), 1.0 if bold else 0.95, bold, smallest=0.6),
                           text_colour if bold else _colour(self.theme.muted),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        painter.end()

    def _draw_tick(self, painter: QtGui.QPainter, cell: QtCore.QRectF, colour: QtGui.QColor) -> None:
        side = min(cell.width(), cell.height()) * 0.55
        centre = cell.center()
        path = QtGui.QPainterPath(QtCore.QPointF(centre.x() - side * 0.45, centre.y()))
        path.lineTo(centre.x() - side * 0.1, centre.y() + side * 0.35)
        path.lineTo(centre.x() + side * 0.5, centre.y() - side * 0.4)
        pen = QtGui.QPen(colour, max(1.5, side * 0.16))
        pen.setCapStyle(QtCore.Qt.RoundCap)
        pen.setJoinStyle(QtCore.Qt.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.drawPath(path)


# ---- how much of each local crop lies inside each global crop -----------------------------------------


class CoverageCanvas(Canvas):
    """A row a local crop, with its share inside G1 and G2, and arrows to them whose width is that share."""

    def __init__(self, theme: Theme, parent=None):
        super().__init__("Local \u2192 global: share inside each global", theme, parent)
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.coverage = np.zeros((0, 0))
        self.thumbnails: list[QtGui.QImage] | None = None
        self.setToolTip("For each local crop, the fraction of its area that lies inside each global crop. "
                        "Arrow width grows with that fraction; no arrow: no overlap. The student must "
                        "predict the teacher's output for G1 and G2 from every local crop, inside or not.")

    def set_views(self, views: list[CropView], thumbnails: list[QtGui.QImage] | None) -> None:
        self.views, self.names, self.thumbnails = list(views), view_names(views), thumbnails
        self.coverage = coverage_matrix(views)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self.begin()
        z = self.zoom
        locals_ = [index for index, view in enumerate(self.views) if not view.is_global]
        globals_ = [index for index, view in enumerate(self.views) if view.is_global]
        if not locals_ or not globals_:
            text = "No local crops: the student sees only the global views, so there is nothing to draw here."
            self.draw_text(painter, area, text, self.text_font(1.0), _colour(self.theme.muted),
                           QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap)
            painter.end()
            return
        header_font = self.text_font(0.95, bold=True)
        header_height = QtGui.QFontMetricsF(header_font).height()
        rows = area.adjusted(0, header_height + 2 * z, 0, 0)
        row_height = rows.height() / len(locals_)
        # Text shrinks with the row height so ten locals still fit; never below 60% of the base size.
        text_scale = min(1.0, max(0.6, row_height / (1.25 * BASE_FONT_PT * z * 96 / 72)))
        name_font, value_font = self.text_font(text_scale, bold=True), self.text_font(text_scale)
        metrics = QtGui.QFontMetricsF(value_font)
        name_width = QtGui.QFontMetricsF(name_font).horizontalAdvance("L10") + 16 * z
        value_width = max(metrics.horizontalAdvance("100%"), QtGui.QFontMetricsF(header_font).horizontalAdvance("in G2")) + 12 * z
        node_side = min(rows.height() / len(globals_) - 8 * z, area.width() * 0.22, 140 * z)
        node_left = area.right() - node_side
        arrow_left = area.left() + name_width + len(globals_) * value_width + 6 * z
        # Headers over the value columns.
        for column, index in enumerate(globals_):
            rect = QtCore.QRectF(area.left() + name_width + column * value_width, area.top(), value_width, header_height)
            self.draw_text(painter, rect, f"in {self.names[index]}", header_font, _colour(self.theme.global_view))
        # The global crops as nodes on the right, with their thumbnails when ready.
        node_rects = []
        for column, index in enumerate(globals_):
            slot = rows.height() / len(globals_)
            rect = QtCore.QRectF(node_left, rows.top() + column * slot + (slot - node_side) / 2, node_side, node_side)
            node_rects.append(rect)
            if self.thumbnails:
                painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform, True)
                painter.drawImage(rect, self.thumbnails[index])
            else:
                painter.fillRect(rect, _colour(self.theme.panel))
            painter.setPen(_view_pen(True, self.theme, z))
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawRect(rect)
            tag_font = self.text_font(1.0, bold=True)
            tag_metrics = QtGui.QFontMetricsF(tag_font)
            tag = QtCore.QRectF(rect.left(), rect.top(), tag_metrics.horizontalAdvance("G2") + 8 * z, tag_metrics.height())
            painter.fillRect(tag, _colour(self.theme.global_view))
            self.draw_text(painter, tag, self.names[index], tag_font, _text_on(self.theme.global_view))
        arrow_colour = _colour(self.theme.reference, 170)
        for row, index in enumerate(locals_):
            y = rows.top() + (row + 0.5) * row_height
            name_rect = QtCore.QRectF(area.left(), y - row_height / 2, name_width - 10 * z, row_height)
            box = name_rect.adjusted(2 * z, max(1.0, row_height * 0.08), 0, -max(1.0, row_height * 0.08))
            painter.setPen(_view_pen(False, self.theme, z, width=2.5 * z))
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawRect(box)
            self.draw_text(painter, box, self.names[index], name_font, _colour(self.theme.foreground))
            for column in range(len(globals_)):
                fraction = float(self.coverage[row, column])
                rect = QtCore.QRectF(area.left() + name_width + column * value_width, y - row_height / 2,
                                     value_width, row_height)
                colour = _colour(self.theme.foreground if fraction > 0 else self.theme.muted)
                font = self.text_font(text_scale, bold=fraction >= 0.5)
                self.draw_text(painter, rect, f"{fraction:.0%}", font, colour,
                               QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
                if fraction <= 0:
                    continue
                target = node_rects[column]
                # Arrow heads spread along the node's left side, in row order, so they do not pile up.
                head_y = target.top() + target.height() * (row + 1) / (len(locals_) + 1)
                width = (1.0 + 6.0 * fraction) * z
                self._draw_arrow(painter, QtCore.QPointF(arrow_left, y), QtCore.QPointF(target.left() - 2 * z, head_y),
                                 width, arrow_colour)
        painter.end()

    def _draw_arrow(self, painter: QtGui.QPainter, start: QtCore.QPointF, end: QtCore.QPointF, width: float,
                    colour: QtGui.QColor) -> None:
        dx, dy = end.x() - start.x(), end.y() - start.y()
        length = math.hypot(dx, dy)
        if length < 1:
            return
        ux, uy = dx / length, dy / length
        head = min(length * 0.5, 3.0 * width + 6 * self.zoom)
        base = QtCore.QPointF(end.x() - ux * head, end.y() - uy * head)
        pen = QtGui.QPen(colour, width)
        pen.setCapStyle(QtCore.Qt.FlatCap)
        painter.setPen(pen)
        painter.drawLine(start, base)
        half = head * 0.55 + width * 0.3
        polygon = QtGui.QPolygonF([end, QtCore.QPointF(base.x() - uy * half, base.y() + ux * half),
                                   QtCore.QPointF(base.x() + uy * half, base.y() - ux * half)])
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(polygon)


# ---- the page ---------------------------------------------------------------------------------------


def _scale_box(tip: str) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox()
    box.setRange(0.0, 1.0)  # 0 can be typed: it gets a message, not a silent clamp
    box.setDecimals(2)
    box.setSingleStep(0.05)
    box.setKeyboardTracking(False)  # apply on Enter or arrows, not on each keystroke
    box.setToolTip(tip)
    return box


class MultiCropPanel(ControlColumn, QtWidgets.QWidget):
    """The multi-crop page: DINO's views of a photograph, and what the loss does with them."""

    PAGE_KEY = "multicrop"
    TITLE = "Multi-crop"
    # The window's Panel interface (widgets.panel_base.Panel): this page trains nothing, so it has
    # no parameter switches, plots or snapshots.
    controls: dict = {}
    plots: list = []
    snapshot = None

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = theme, 1.0
        self.image: LoadedImage | None = None
        self.config = MultiCropConfig()
        self.seed = 0
        self.views: list[CropView] = []
        self.thumbnails: list[QtGui.QImage] | None = None
        self._thumbnail_job: tuple[int, Future] | None = None
        self._thumbnail_request: tuple[int, np.ndarray, list[CropView]] | None = None
        self._generation = 0

        # build: headline, caption, message
        self.verdict = QtWidgets.QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()

        # build: controls
        self.resample_button = QtWidgets.QPushButton("Resample")
        self.resample_button.setToolTip("Draw a fresh set of views: the seed goes up by one (N)")
        self.seed_box = QtWidgets.QSpinBox()
        self.seed_box.setRange(0, SEED_MAXIMUM)
        self.seed_box.setKeyboardTracking(False)
        self.seed_box.setToolTip("The same seed gives the same views, here and in "
                                 "`distill-lab crops --seed S`. Type a seed to bring a set back.")
        seed_label = QtWidgets.QLabel("Seed")
        seed_label.setToolTip(self.seed_box.toolTip())
        self.seed_label = seed_label
        self.image_combo = QtWidgets.QComboBox()
        self.image_combo.setToolTip("The photograph to crop: a bundled public-domain or CC0 photo, or "
                                    "your own file (Open image...)")
        for name, path in bundled_images().items():
            self.image_combo.addItem(name, str(path))
        self.image_combo.insertSeparator(self.image_combo.count())
        self.image_combo.addItem(OPEN_IMAGE_TEXT, None)
        self.locals_slider = ParamSlider(NUM_LOCAL_SPEC)
        self.locals_slider.setToolTip(NUM_LOCAL_SPEC.help + " DINO's default: 8. Each adds 2 loss terms.")
        self.global_min = _scale_box("Smallest area of a global crop, as a fraction of the image (DINO: 0.4)")
        self.global_max = _scale_box("Largest area of a global crop, as a fraction of the image (DINO: 1)")
        self.local_min = _scale_box("Smallest area of a local crop, as a fraction of the image (DINO: 0.05)")
        self.local_max = _scale_box("Largest area of a local crop, as a fraction of the image (DINO: 0.4)")
        self.defaults_button = QtWidgets.QPushButton("DINO defaults")
        self.defaults_button.setToolTip("8 locals, global scale 0.4-1, local scale 0.05-0.4 (main_dino.py)")
        self._show_config(self.config)

        view_box = QtWidgets.QGroupBox("Views")
        view_layout = QtWidgets.QGridLayout(view_box)
        view_layout.addWidget(self.resample_button, 0, 0, 1, 2)
        view_layout.addWidget(seed_label, 1, 0)
        view_layout.addWidget(self.seed_box, 1, 1)
        image_label = QtWidgets.QLabel("Image")
        image_label.setToolTip(self.image_combo.toolTip())
        self.image_label = image_label
        view_layout.addWidget(image_label, 2, 0)
        view_layout.addWidget(self.image_combo, 2, 1)
        crops_box = QtWidgets.QGroupBox("Crops")
        crops_layout = QtWidgets.QGridLayout(crops_box)
        crops_layout.addWidget(self.locals_slider, 0, 0, 1, 3)
        self.scale_labels: list[QtWidgets.QLabel] = []
        for row, (text, low, high) in enumerate((("Global scale", self.global_min, self.global_max),
                                                 ("Local scale", self.local_min, self.local_max)), start=1):
            label = QtWidgets.QLabel(text)
            label.setToolTip(f"{text}: the range of crop areas, min and max, as fractions of the image, in (0, 1]")
            self.scale_labels.append(label)
            crops_layout.addWidget(label, row, 0)
            crops_layout.addWidget(low, row, 1)
            crops_layout.addWidget(high, row, 2)
        crops_layout.addWidget(self.defaults_button, 3, 0, 1, 3)
        help_box = QtWidgets.QGroupBox("How it works")
        help_layout = QtWidgets.QVBoxLayout(help_box)
        self.help_label = QtWidgets.QLabel(HELP_TEXT)
        self.help_label.setObjectName("help")
        self.help_label.setWordWrap(True)
        help_layout.addWidget(self.help_label)
        self.help_box = help_box

        control_column = QtWidgets.QWidget()
        control_column.setObjectName("controls")
        control_layout = QtWidgets.QVBoxLayout(control_column)
        control_layout.setContentsMargins(0, 0, 4, 0)
        for widget in (view_box, crops_box, help_box):
            control_layout.addWidget(widget)
        control_layout.addStretch(1)
        self.control_scroll = QtWidgets.QScrollArea()
        self.control_scroll.setWidget(control_column)
        self.control_scroll.setWidgetResizable(True)
        self.control_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)

        # build: the four drawings
        self.photo = PhotoCanvas(theme)
        self.thumbnail_view = ThumbnailCanvas(theme)
        self.matrix = PairMatrixCanvas(theme)
        self.coverage = CoverageCanvas(theme)
        self.canvases = (self.photo, self.thumbnail_view, self.matrix, self.coverage)
        drawings = QtWidgets.QWidget()
        columns = QtWidgets.QHBoxLayout(drawings)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(10)
        # Two independent columns: ten locals need the coverage rows taller than the matrix needs.
        for top, bottom, split in ((self.photo, self.coverage, (54, 46)), (self.thumbnail_view, self.matrix, (52, 48))):
            column = QtWidgets.QVBoxLayout()
            column.setSpacing(8)
            column.addWidget(top, split[0])
            column.addWidget(bottom, split[1])
            columns.addLayout(column, 1)

        # At a large presenter zoom on a small screen the drawings scroll rather than squash their text.
        self.drawings = drawings
        self.drawing_scroll = QtWidgets.QScrollArea()
        self.drawing_scroll.setWidget(drawings)
        self.drawing_scroll.setWidgetResizable(True)
        self.drawing_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        body = QtWidgets.QHBoxLayout()
        body.addWidget(self.control_scroll)
        body.addWidget(self.drawing_scroll, 1)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.addWidget(self.verdict)
        outer.addWidget(self.caption)
        outer.addWidget(self.message)
        outer.addLayout(body, 1)
        # The page's words and its mechanism diagram (issue 16): a strip on top, a band above the drawings.
        self.diagram = MultiCropDiagram()
        self.lesson_strip, self.go_deeper = add_concept_extras(self, outer, self.diagram)

        # wire
        self.resample_button.clicked.connect(self.resample)
        self.seed_box.valueChanged.connect(self.set_seed)
        self.image_combo.activated.connect(self._on_image_chosen)
        self.locals_slider.value_changed.connect(lambda _name, _value: self._apply_settings())
        for box in (self.global_min, self.global_max, self.local_min, self.local_max):
            box.valueChanged.connect(lambda _value: self._apply_settings())
        self.defaults_button.clicked.connect(self.restore_defaults)
        self._thumbnail_timer = QtCore.QTimer(self)
        self._thumbnail_timer.setInterval(20)
        self._thumbnail_timer.timeout.connect(self._collect_thumbnails)

        # first picture: drawn at once, thumbnails included, so a screenshot shows everything
        names = bundled_images()
        first = DEFAULT_IMAGE if DEFAULT_IMAGE in names else next(iter(names), None)
        if first is not None:
            self.set_image(first)
        self.wait_for_thumbnails()
        self.set_theme(theme, 1.0)

    # -- public API (the window binds Resample and the N key to resample) ---------------------------
    def resample(self) -> None:
        """Draw a fresh set of views: the next seed (shown in the seed box, so the set can be brought back)."""
        self.set_seed(self.seed + 1 if self.seed < SEED_MAXIMUM else 0)

    def set_seed(self, seed: int) -> None:
        """Show the views of ``seed`` with the current settings."""
        self.seed = int(seed)
        self.seed_box.blockSignals(True)
        self.seed_box.setValue(self.seed)
        self.seed_box.blockSignals(False)
        self._draw_views()

    def set_num_local(self, num_local: int) -> None:
        """Set the number of local crops (0 to 10), as if the slider had been moved."""
        self.locals_slider.set_value(int(num_local))
        self._apply_settings()

    def set_scales(self, global_scale: tuple[float, float] | None = None,
                   local_scale: tuple[float, float] | None = None) -> bool:
        """Set the scale ranges, as if typed in; False (and a message) if refused."""
        boxes = ((global_scale, self.global_min, self.global_max), (local_scale, self.local_min, self.local_max))
        for pair, low, high in boxes:
            if pair is not None:
                for box, value in ((low, pair[0]), (high, pair[1])):
                    box.blockSignals(True)
                    box.setValue(float(value))
                    box.blockSignals(False)
        return self._apply_settings()

    def apply_scenario(self, scenario) -> None:
        """Set image, crops and seed from a validated scenario."""
        params = scenario.params
        self.set_image(params["image"])
        self.locals_slider.set_value(int(params["num_local"]))
        self.set_scales(tuple(params["global_scale"]), tuple(params["local_scale"]))
        self.set_seed(int(params["seed"]))

    def apply_param(self, name: str, value: object) -> None:
        raise KeyError(f"the multi-crop page has no parameter {name!r}")  # controls is empty: never asked

    nudge_param = apply_param

    def reset_page(self) -> None:
        """R on this page draws a fresh set of views, as N does."""
        self.resample()

    def scenario_caption(self) -> str:
        return ""

    def scenario_params(self) -> dict:
        """The live settings, for saving as a scenario (a lecturer's own image is saved by name
        only when it is a bundled one)."""
        config = self.config
        name = self.image.name if self.image is not None and self.image.name in bundled_images() else "cat"
        return {"image": name, "num_local": config.num_local, "global_scale": list(config.global_scale),
                "local_scale": list(config.local_scale), "seed": self.seed}

    def restore_defaults(self) -> None:
        """DINO's settings: 8 locals, global scale 0.4-1, local scale 0.05-0.4."""
        self._show_config(MultiCropConfig())
        self._apply_settings()

    def set_image(self, name_or_path: str | Path) -> bool:
        """Crop a bundled photo (by name) or an image file; False, with a message, if it cannot be read."""
        bundled = bundled_images()
        key = str(name_or_path)
        try:
            if key in bundled:
                image = load_image(bundled[key], key)
            else:
                if not Path(key).exists():
                    if os.sep in key or Path(key).suffix:  # meant as a file
                        raise ImageLoadError(f"there is no file {key!r}")
                    raise ImageLoadError(f"no bundled image named {key!r} (there are {', '.join(bundled)}) "
                                         "and no such file")
                image = load_image(key)
        except ImageLoadError as error:
            kept = f" Still showing {self.image.name!r}." if self.image else ""
            self.show_message(f"Image not opened: {error}.{kept}")
            self._select_current_image()
            return False
        self.image = image
        self.show_message("")
        self._select_current_image()
        self._draw_views()
        return True

    def open_image_dialog(self) -> bool:
        """Ask for an image file and crop it; False if cancelled or unreadable."""
        start = str(self.image.path.parent) if self.image and self.image.path.parent != Path() else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open an image to crop", start, IMAGE_FILE_FILTER)
        if not path:
            self._select_current_image()
            return False
        return self.set_image(path)

    def set_theme(self, theme: Theme, zoom: float) -> None:
        """Restyle for a theme and presenter zoom: the drawings' text and lines scale with ``zoom``."""
        self.theme, self.zoom = theme, zoom
        for canvas in (*self.canvases, self.lesson_strip, self.go_deeper, self.diagram):
            if canvas is not None:
                canvas.set_theme(theme, zoom)
        self.verdict.setStyleSheet(f"color: {theme.foreground};")
        self.resample_button.setMinimumHeight(int(38 * zoom))
        self.fit_control_column()
        self.drawings.setMinimumHeight(int(MIN_DRAWING_HEIGHT * zoom))

    def hideable_controls(self) -> list[HideableControl]:
        """The column's controls for View > Controls on this page (N still resamples when hidden)."""
        return [
            HideableControl("resample", "Resample", (self.resample_button,)),
            HideableControl("seed", "Seed", (self.seed_label, self.seed_box)),
            HideableControl("image", "Image", (self.image_label, self.image_combo)),
            HideableControl("num_local", "Local views", (self.locals_slider,)),
            HideableControl("global_scale", "Global scale",
                            (self.scale_labels[0], self.global_min, self.global_max)),
            HideableControl("local_scale", "Local scale", (self.scale_labels[1], self.local_min, self.local_max)),
            HideableControl("defaults", "DINO defaults", (self.defaults_button,)),
            HideableControl("help", "How it works", (self.help_box,)),
        ] + ([HideableControl("lesson_strip", "Key idea and picture", (self.lesson_strip,), False)]
             if self.lesson_strip is not None else []) + [
            HideableControl("diagram", "Mechanism diagram", (self.diagram,), False)]

    def toggle_go_deeper(self) -> None:
        """Open or close the page's go-deeper card (G)."""
        if self.go_deeper is not None:
            self.go_deeper.toggle()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return loss_pairs(self.views)

    @property
    def num_loss_terms(self) -> int:
        return len(self.pairs)

    @property
    def thumbnails_ready(self) -> bool:
        return self.thumbnails is not None

    def wait_for_thumbnails(self, timeout_s: float = 60.0) -> None:
        """Finish the thumbnails now (for screenshots and tests); the page otherwise fills them in."""
        while self._thumbnail_job is not None:
            self._thumbnail_job[1].result(timeout=timeout_s)
            self._collect_thumbnails()

    # -- settings -> views ---------------------------------------------------------------------------
    def _show_config(self, config: MultiCropConfig) -> None:
        for box, value in ((self.global_min, config.global_scale[0]), (self.global_max, config.global_scale[1]),
                           (self.local_min, config.local_scale[0]), (self.local_max, config.local_scale[1])):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.locals_slider.set_value(config.num_local)

    def _apply_settings(self) -> bool:
        """Validate the controls once, here; an invalid set keeps the last valid views on screen."""
        config = MultiCropConfig(
            num_local=int(self.locals_slider.value()),
            global_scale=(self.global_min.value(), self.global_max.value()),
            local_scale=(self.local_min.value(), self.local_max.value()),
        )
        try:
            config.validate()
        except ParameterError as error:
            text = str(error).replace("global_scale", "global scale").replace("local_scale", "local scale")
            self.show_message(f"Not applied: {text}. The views keep the last valid settings.")
            return False
        self.config = config
        self.show_message("")
        self._draw_views()
        return True

    def _on_image_chosen(self, index: int) -> None:
        path = self.image_combo.itemData(index)
        if path is None:
            self.open_image_dialog()
        elif self.image is None or Path(path) != self.image.path:
            self.set_image(self.image_combo.itemText(index) if self.image_combo.itemText(index) in bundled_images()
                           else path)

    def _select_current_image(self) -> None:
        """Point the image list at the image on screen, adding a lecturer's own file to the list."""
        if self.image is None:
            return
        index = self.image_combo.findData(str(self.image.path))
        if index < 0:
            index = self.image_combo.count() - 2  # before the separator and "Open image..."
            self.image_combo.insertItem(index, self.image.path.name, str(self.image.path))
            self.image_combo.setItemData(index, str(self.image.path), QtCore.Qt.ToolTipRole)
        self.image_combo.blockSignals(True)
        self.image_combo.setCurrentIndex(index)
        self.image_combo.blockSignals(False)

    # -- draw -------------------------------------------------------------------------------------------
    def _draw_views(self) -> None:
        if self.image is None:
            return
        self.views = sample_views(self.image.width, self.image.height, self.config, self.seed)
        self.thumbnails = None
        self._request_thumbnails()
        self.photo.set_views(self.image.qimage, self.views)
        self.thumbnail_view.set_views(self.views, None)
        self.matrix.set_views(self.views)
        self.diagram.set_views(self.views)
        self.coverage.set_views(self.views, None)
        self.verdict.setText(self.headline())
        self.caption.setText(self.caption_text())

    def headline(self) -> str:
        """The number of loss terms and the cost, in words."""
        return (f"{self.num_loss_terms} loss terms \u00b7 the networks process {relative_cost(self.views):.2f}\u00d7 "
                f"the pixels of two global views")

    def caption_text(self) -> str:
        """The live settings in words."""
        image, config = self.image, self.config
        size = f"{image.width} \u00d7 {image.height} px"
        if (image.width, image.height) != image.original_size:
            size += f", shrunk from {image.original_size[0]} \u00d7 {image.original_size[1]}"
        ratio = f"{DEFAULT_RATIO[0]:.2f}\u2013{DEFAULT_RATIO[1]:.2f}"
        local = (f"<b>{config.num_local} local</b> crops, area {config.local_scale[0]:.2f}\u2013"
                 f"{config.local_scale[1]:.2f}, {config.local_size} px" if config.num_local else "<b>no local crops</b>")
        return (f"<b>{image.name}</b> {size} \u00b7 seed {self.seed} \u00b7 <b>{config.num_global} global</b> crops, "
                f"area {config.global_scale[0]:.2f}\u2013{config.global_scale[1]:.2f}, {config.global_size} px "
                f"\u00b7 {local} \u00b7 aspect {ratio}, flip p = {FLIP_PROBABILITY:g}")

    # -- thumbnails, computed beside the GUI --------------------------------------------------------------
    def _request_thumbnails(self) -> None:
        self._generation += 1
        self._thumbnail_request = (self._generation, self.image.array, list(self.views))
        if self._thumbnail_job is None:
            self._start_thumbnail_job()

    def _start_thumbnail_job(self) -> None:
        generation, array, views = self._thumbnail_request
        self._thumbnail_request = None
        self._thumbnail_job = (generation, _executor().submit(make_thumbnails, array, views))
        self._thumbnail_timer.start()

    def _collect_thumbnails(self) -> None:
        if self._thumbnail_job is None:
            self._thumbnail_timer.stop()
            return
        generation, future = self._thumbnail_job
        if not future.done():
            return
        self._thumbnail_job = None
        # Only the newest request is drawn; an older one finishing meanwhile is dropped.
        if self._thumbnail_request is not None:
            self._start_thumbnail_job()
        else:
            self._thumbnail_timer.stop()
        if generation != self._generation:
            return
        try:
            thumbnails = future.result()
        except Exception as error:  # noqa: BLE001 - a failed thumbnail must not take the page down
            self.show_message(f"Could not draw the thumbnails: {error}")
            return
        self.thumbnails = thumbnails
        self.thumbnail_view.set_views(self.views, thumbnails)
        self.coverage.set_views(self.views, thumbnails)
