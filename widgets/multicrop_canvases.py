"""The multi-crop page's drawings (QPainter canvases): the photo with its crop boxes, the crops as
the network sees them, the teacher-student pair matrix, and the coverage of each local crop by
each global one. They draw what they are given; nothing here samples or trains.
"""
from __future__ import annotations

import math

import numpy as np

from PySide6 import QtCore, QtGui, QtWidgets

from engine.multicrop import CropView, coverage_matrix, loss_pairs, view_names
from widgets.theme import BASE_FONT_PT, Theme


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
    """The photo with every crop drawn on it, labelled G1, G2, L1..LN (a mark may follow a label).
    A click inside a crop emits its index (the smallest crop under the pointer)."""

    clicked = QtCore.Signal(int)

    def __init__(self, theme: Theme, parent=None):
        super().__init__("Crops on the photo", theme, parent)
        self.image: QtGui.QImage | None = None
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.marks: list[str] = []
        self.selected = -1  # the crop outlined as chosen
        self.box_rects: list[QtCore.QRectF] = []  # where each crop was last drawn
        self.image_rect = QtCore.QRectF()  # where the photo was last drawn, in widget pixels
        self.setToolTip("The photograph with DINO's views cut from it: global crops G1, G2 in blue "
                        "(solid), local crops L1... in green (dashed).")

    def set_views(self, image: QtGui.QImage, views: list[CropView]) -> None:
        self.image, self.views, self.names = image, list(views), view_names(views)
        self.update()

    def set_marks(self, marks: list[str], selected: int = -1) -> None:
        """A short mark after each crop's label, and the crop to outline as chosen."""
        if marks != self.marks or selected != self.selected:
            self.marks, self.selected = list(marks), selected
            self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        hits = [i for i, rect in enumerate(self.box_rects) if rect.contains(event.position())]
        if hits:
            self.clicked.emit(min(hits, key=lambda i: self.box_rects[i].width() * self.box_rects[i].height()))
            return
        super().mousePressEvent(event)

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

        self.box_rects = [box_rect(view) for view in self.views]
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
        if 0 <= self.selected < len(self.views):
            painter.setPen(QtGui.QPen(_colour(self.theme.foreground), 3 * self.zoom, QtCore.Qt.SolidLine))
            painter.drawRect(box_rect(self.views[self.selected]).adjusted(-4 * self.zoom, -4 * self.zoom,
                                                                          4 * self.zoom, 4 * self.zoom))
        marks = self.marks if len(self.marks) == len(self.views) else [""] * len(self.views)
        labels = [name + (f" {mark}" if mark else "") for name, mark in zip(self.names, marks)]
        # Global tags claim their corners first and are drawn last, so no local tag hides them.
        placed: list[QtCore.QRectF] = []
        tags = [self._place_tag(box_rect(self.views[index]), self.views[index], labels[index], placed)
                for index in order]
        for tag in reversed(tags):
            if tag is not None:
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
                   placed: list[QtCore.QRectF]) -> tuple[QtCore.QRectF, QtGui.QFont, CropView, str] | None:
        """A label at a corner of the box, moved to another corner if it would cover a placed label;
        None for a local crop with no free corner (a global crop's label is always drawn)."""
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
        if tag is None and not view.is_global:
            return None  # no free corner: overlapping tags were unreadable; the box stays, and clicks
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
    """Each view as the network receives it, all drawn at one common scale (a local is smaller).
    A click on a view emits its index; a mark (e.g. a tick) can follow each label."""

    clicked = QtCore.Signal(int)

    def __init__(self, theme: Theme, parent=None):
        super().__init__("What the networks see", theme, parent)
        self.views: list[CropView] = []
        self.names: list[str] = []
        self.marks: list[str] = []
        self.selected = -1  # the view outlined as chosen
        self.thumbnails: list[QtGui.QImage] | None = None
        self.display_scale = 1.0  # screen pixels per network pixel, the same for every view
        self.cells: list[QtCore.QRectF] = []  # where each thumbnail was last drawn
        self.setToolTip("Each view after cropping, resizing to the network's input (224 px global, "
                        "96 px local) and the random flip (marked \u2194). All are drawn at the same "
                        "scale, so a local view is visibly smaller.")

    def set_views(self, views: list[CropView], thumbnails: list[QtGui.QImage] | None) -> None:
        self.views, self.names, self.thumbnails = list(views), view_names(views), thumbnails
        self.update()

    def set_marks(self, marks: list[str], selected: int = -1) -> None:
        """A short mark after each view's label, and the view to outline as chosen."""
        if marks != self.marks or selected != self.selected:
            self.marks, self.selected = list(marks), selected
            self.update()

    def labels(self) -> list[str]:
        marks = self.marks if len(self.marks) == len(self.views) else [""] * len(self.views)
        return [name + (" \u2194" if view.flipped else "") + (f" {mark}" if mark else "")
                for name, view, mark in zip(self.names, self.views, marks)]

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        for index, cell in enumerate(self.cells):
            if cell.adjusted(-4, -4, 4, 4).contains(event.position()):
                self.clicked.emit(index)
                return
        super().mousePressEvent(event)

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
        # Blown up, a 16-pixel crop keeps square pixels: the hall sees what the network sees.
        painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform, scale < 1)
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
            if index == self.selected:
                painter.setPen(QtGui.QPen(_colour(self.theme.foreground), 3 * self.zoom))
                painter.drawRect(cell.adjusted(-5 * self.zoom, -5 * self.zoom, 5 * self.zoom, 5 * self.zoom))
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
        self.losses: np.ndarray | None = None  # teacher view x student view, this step's loss
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

    def set_losses(self, losses: np.ndarray | None) -> None:
        """Each pair's current loss (rows: teacher views, columns: student views; NaN: no term);
        a cell's colour then grows stronger with its loss and shows the number."""
        self.losses = None if losses is None else np.asarray(losses, dtype=float)
        self.update()

    def _loss_fill(self, teacher: int, student: int, fill: str) -> tuple[QtGui.QColor, str]:
        """The cell's colour (alpha from the loss: faint = small) and its number, or the plain fill."""
        losses = self.losses
        if losses is None or losses.shape != (len(self.teacher_views), len(self.views)):
            return _colour(fill), ""
        value = losses[self.teacher_views.index(teacher), student]
        finite = losses[np.isfinite(losses)]
        if not np.isfinite(value) or not finite.size:
            return _colour(fill), ""
        top = max(float(finite.max()), 1e-9)
        return _colour(fill, int(60 + 195 * value / top)), f"{value:.2f}"

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
                    colour, number = self._loss_fill(teacher, student, fill)
                    painter.fillRect(cell, colour)
                    number_font = self.fitted_font(number, cell.width() - 2, 0.85, smallest=0.5)
                    if number and QtGui.QFontMetricsF(number_font).horizontalAdvance(number) <= cell.width() - 2:
                        text_colour_here = _text_on(fill) if colour.alpha() > 150 else _colour(self.theme.foreground)
                        self.draw_text(painter, cell, number, number_font, text_colour_here)
                    elif not number:
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
        legend = ("number: the pair's loss now (darker: larger); hatched: skipped"
                  if self.losses is not None else "teachers \u00d7 students \u2212 same-view pairs (hatched: skipped)")
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
