"""What every mechanism diagram shares: theme and zoom, clickable regions with tooltips, and
painting helpers for boxes, arrows and small bar charts."""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.theme import BASE_FONT_PT, LIGHT, OKABE_ITO, Theme

QRectF, QPointF = QtCore.QRectF, QtCore.QPointF


def colour(name: str, alpha: int = 255) -> QtGui.QColor:
    result = QtGui.QColor(name)
    result.setAlpha(alpha)
    return result


class Diagram(QtWidgets.QWidget):
    """A widget drawn by ``paint(painter, rect)``; regions registered while painting are clickable
    (``region_clicked(name)``), turnable with the wheel (``region_wheeled(name, +1/-1)``) and carry
    a tooltip."""

    region_clicked = QtCore.Signal(str)
    region_wheeled = QtCore.Signal(str, int)

    WIDTH = 250  # at zoom 1: a portrait panel beside the plots, which keep the page's height
    MIN_WIDTH = 170  # on a crowded page (zoom 2 on 1280 pixels) it gives way before the page overflows

    PORTRAIT = True  # beside the plots; False: a band above the page's drawings
    BAND_HEIGHT = 130  # at zoom 1, for a band

    def __init__(self, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = LIGHT, 1.0
        self.regions: dict[str, tuple[QRectF, str]] = {}
        self.paint_count = 0  # tests check a change is redrawn
        self._fonts: dict[tuple, QtGui.QFont] = {}
        self.step = 0
        self.training = False  # the step count moved since the last snapshot
        self.phase = 0.0  # the dashes of the gradient's path march while training
        self.setMouseTracking(True)
        if self.PORTRAIT:
            self.setSizePolicy(QtWidgets.QSizePolicy.Preferred, QtWidgets.QSizePolicy.Expanding)
            self.setMinimumSize(self.MIN_WIDTH, 200)
        else:
            self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Fixed)
            self.setMinimumWidth(400)

    # -- look ------------------------------------------------------------------------------------
    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        if self.PORTRAIT:
            # Barely wider with the zoom: at 1.5x on 1280 pixels the plots beside it need the width.
            self.setMaximumWidth(round(self.WIDTH * (1 + 0.1 * (zoom - 1))))
        else:
            self.setFixedHeight(round(self.BAND_HEIGHT * (1 + 0.3 * (zoom - 1))))
        self.update()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return QtCore.QSize(self.WIDTH, 400) if self.PORTRAIT else QtCore.QSize(800, self.BAND_HEIGHT)

    def scaled_font(self, scale: float = 1.0, bold: bool = False) -> QtGui.QFont:
        font = QtGui.QFont(self.fontInfo().family())
        font.setPointSizeF(max(6.0, BASE_FONT_PT * 0.9 * scale * self.zoom))
        font.setBold(bold)
        return font

    def fitted_font(self, text: str, width: float, height: float, scale: float = 1.0,
                    bold: bool = False) -> QtGui.QFont:
        """The largest font up to ``scale`` in which ``text`` (lines split on \\n) fits the box."""
        # Measuring text is most of a frame's cost: the same label in the same box is measured once.
        key = (text, round(width), round(height), scale, bold, self.zoom)
        cached = self._fonts.get(key)
        if cached is not None:
            return cached
        if len(self._fonts) > 500:
            self._fonts.clear()
        font = self.scaled_font(scale, bold)
        lines = text.split("\n")
        for _ in range(12):
            metrics = QtGui.QFontMetricsF(font)
            wide = max(metrics.horizontalAdvance(line) for line in lines)
            if wide <= width and metrics.height() * len(lines) <= height or font.pointSizeF() <= 6:
                break
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        self._fonts[key] = font
        return font

    def advance(self, step: int) -> None:
        """A new snapshot at ``step``: training if the step moved on (then the dashes march)."""
        self.training = step > self.step
        if self.training:
            self.phase = (self.phase + 1.5) % 5.0
        self.step = step

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.paint_count += 1
        self.regions = {}
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        painter.fillRect(self.rect(), colour(self.theme.background))
        try:
            self.paint(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def paint(self, painter: QtGui.QPainter, rect: QRectF) -> None:
        raise NotImplementedError

    def add_region(self, name: str, rect: QRectF, tip: str) -> None:
        self.regions[name] = (QRectF(rect), tip)

    def box(self, painter: QtGui.QPainter, rect: QRectF, text: str, tint: str, dimmed: bool = False,
            bold: bool = False, text_colour: str | None = None) -> None:
        """A rounded box in a tint of ``tint`` with centred text; dimmed: faint, dashed, struck out."""
        pen = QtGui.QPen(colour(tint, 90 if dimmed else 255), max(1.5, 2.2 * self.zoom))
        if dimmed:
            pen.setStyle(QtCore.Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(colour(tint, 20 if dimmed else 55))
        radius = 6 * self.zoom
        painter.drawRoundedRect(rect, radius, radius)
        if text:
            font = self.fitted_font(text, rect.width() - 6 * self.zoom, rect.height() - 2, bold=bold)
            painter.setFont(font)
            painter.setPen(colour(text_colour or self.theme.foreground, 110 if dimmed else 255))
            painter.drawText(rect, QtCore.Qt.AlignCenter, text)
        if dimmed:
            painter.setPen(QtGui.QPen(colour(self.theme.muted, 200), max(1.0, 1.5 * self.zoom)))
            painter.drawLine(rect.bottomLeft() + QPointF(4, -4), rect.topRight() + QPointF(-4, 4))

    def arrow(self, painter: QtGui.QPainter, start: QPointF, end: QPointF, tint: str, width: float = 2.0,
              dashed: bool = False, dash_offset: float = 0.0) -> None:
        """A straight arrow from ``start`` to ``end`` with a filled head."""
        width *= self.zoom
        pen = QtGui.QPen(colour(tint), width)
        pen.setCapStyle(QtCore.Qt.FlatCap)
        if dashed:
            pen.setDashPattern([3.0, 2.0])
            pen.setDashOffset(dash_offset)
        head = 4.5 * width + 4
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        shaft_end = end - QPointF(math.cos(angle), math.sin(angle)) * head * 0.8
        painter.setPen(pen)
        painter.drawLine(start, shaft_end)
        left = end - QPointF(math.cos(angle - 0.45), math.sin(angle - 0.45)) * head
        right = end - QPointF(math.cos(angle + 0.45), math.sin(angle + 0.45)) * head
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(colour(tint))
        painter.drawPolygon(QtGui.QPolygonF([end, left, right]))

    def cut(self, painter: QtGui.QPainter, centre: QPointF) -> None:
        """Two slanted bars across a vertical line: no gradient passes here."""
        zoom = self.zoom
        painter.setPen(QtGui.QPen(colour(self.theme.collapsed), 3.5 * zoom))
        for offset in (-4 * zoom, 4 * zoom):
            painter.drawLine(centre + QPointF(-10 * zoom, offset + 5 * zoom), centre + QPointF(10 * zoom, offset - 5 * zoom))

    def loss_node(self, painter: QtGui.QPainter, centre: QPointF, radius: float, name: str, formula: str) -> None:
        """The loss: a circle with its name, and its formula under it across the whole width."""
        painter.setPen(QtGui.QPen(colour(self.theme.foreground), 2.5 * self.zoom))
        painter.setBrush(colour(self.theme.panel))
        painter.drawEllipse(centre, radius, radius)
        self.text(painter, QRectF(centre.x() - radius, centre.y() - radius * 0.6, 2 * radius, radius * 1.2), name, bold=True)
        self.text(painter, QRectF(0, centre.y() + radius, self.width(), self.height() - centre.y() - radius),
                  formula, self.theme.muted, 0.85)

    def text(self, painter: QtGui.QPainter, rect: QRectF, text: str, tint: str | None = None,
             scale: float = 1.0, bold: bool = False, align=QtCore.Qt.AlignCenter) -> None:
        painter.setFont(self.fitted_font(text, rect.width(), rect.height(), scale, bold))
        painter.setPen(colour(tint or self.theme.foreground))
        painter.drawText(rect, align, text)

    def bars(self, painter: QtGui.QPainter, rect: QRectF, values: np.ndarray, tint: str,
             symmetric: bool = False) -> None:
        """A tiny bar chart of ``values`` inside ``rect`` (0..max, or -max..max if symmetric)."""
        values = np.nan_to_num(np.asarray(values, dtype=float))
        if values.size == 0:
            return
        scale = float(np.max(np.abs(values))) or 1.0
        if not symmetric:
            scale = max(scale, 1e-12)
        width = rect.width() / values.size
        base = rect.center().y() if symmetric else rect.bottom()
        span = rect.height() / 2 if symmetric else rect.height()
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(colour(tint))
        for index, value in enumerate(values):
            height = span * value / scale
            painter.drawRect(QRectF(rect.left() + index * width + width * 0.1, base - max(height, 0),
                                    width * 0.8, abs(height)))
        painter.setPen(QtGui.QPen(colour(self.theme.muted), 1))
        painter.drawLine(QPointF(rect.left(), base), QPointF(rect.right(), base))

    # -- interaction -----------------------------------------------------------------------------
    def region_at(self, position: QPointF) -> str | None:
        for name, (rect, _) in self.regions.items():
            if rect.contains(position):
                return name
        return None

    def region_centre(self, name: str) -> QtCore.QPoint:
        """Where to click for a region (tests and lessons)."""
        return self.regions[name][0].center().toPoint()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt's name
        name = self.region_at(event.position())
        if name is not None and event.button() == QtCore.Qt.LeftButton:
            self.region_clicked.emit(name)
        else:
            super().mousePressEvent(event)

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 - Qt's name
        name = self.region_at(event.position())
        if name is not None and event.angleDelta().y():
            self.region_wheeled.emit(name, 1 if event.angleDelta().y() > 0 else -1)
        else:
            super().wheelEvent(event)

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 - Qt's name
        name = self.region_at(event.position())
        self.setCursor(QtCore.Qt.PointingHandCursor if name else QtCore.Qt.ArrowCursor)
        self.setToolTip(self.regions[name][1] if name else "")
        super().mouseMoveEvent(event)


TEACHER_TINT = OKABE_ITO["reddish_purple"]
