"""Plot helpers: titled pyqtgraph plots with large text, thick lines and labelled reference lines."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.theme import BASE_FONT_PT, LINE_WIDTH, Theme


ROUND_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def round_up(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten that is >= ``value``."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    scale = 10.0 ** np.floor(np.log10(value))
    for step in ROUND_STEPS:
        if step * scale >= value * (1 - 1e-12):
            return float(step * scale)
    return float(10 * scale)


class MetricPlot(pg.PlotWidget):
    """One metric (or a few) over training steps, with optional reference lines."""

    def __init__(self, title: str, y_label: str, theme: Theme, x_label: str = "training step",
                 parent=None):
        # No context menu: a right click must not open pyqtgraph's menus in a lecture (and not
        # building them makes a page open faster).
        super().__init__(parent, background=theme.background, enableMenu=False)
        self.theme = theme
        self.title = title
        self.zoom = 1.0
        self._curves: dict[str, tuple[pg.PlotDataItem, str, QtCore.Qt.PenStyle]] = {}
        self._references: list[tuple[pg.InfiniteLine, str]] = []
        self._x_range: tuple[float, float] | None = None
        self._range_above: tuple[float, pg.InfiniteLine, float] | None = None  # set_y_range_above's
        self.time_series = x_label == "training step"  # may show its step axis on a log scale
        self.log_x = False
        item = self.getPlotItem()
        item.setLabel("left", y_label)
        item.setLabel("bottom", x_label)
        item.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        # "(x0.001)" confuses a hall; the hidden top and right axes too, or they re-typeset their
        # empty labels on every range change.
        for side in ("left", "bottom", "top", "right"):
            item.getAxis(side).enableAutoSIPrefix(False)
        item.hideButtons()
        self.legend = None
        # Let the grid share whatever width is left; the axes' size hints would overflow it.
        self.setMinimumSize(140, 120)
        # An opaque plot does not make Qt repaint the widgets behind it on every frame, and cached
        # axes are not re-rendered when only the curves change (paints a frame: docs/performance.md).
        self.setAttribute(QtCore.Qt.WA_OpaquePaintEvent)
        self.viewport().setAttribute(QtCore.Qt.WA_OpaquePaintEvent)
        for side in ("left", "bottom"):
            item.getAxis(side).setCacheMode(QtWidgets.QGraphicsItem.DeviceCoordinateCache)
        self.apply_style(theme, 1.0)

    def add_curve(self, key: str, name: str, colour: str,
                  style: QtCore.Qt.PenStyle = QtCore.Qt.SolidLine) -> pg.PlotDataItem:
        if self.legend is None and name:
            self.legend = self.getPlotItem().addLegend(offset=(-8, 8), labelTextSize=f"{BASE_FONT_PT - 1}pt")
        curve = self.getPlotItem().plot([], [], name=name or None,
                                        pen=pg.mkPen(colour, width=LINE_WIDTH * self.zoom, style=style))
        self._curves[key] = (curve, colour, style)
        return curve

    def add_reference(self, value: float, text: str, style: QtCore.Qt.PenStyle = QtCore.Qt.DashLine,
                      colour: str | None = None) -> pg.InfiniteLine:
        colour = colour or self.theme.reference
        line = pg.InfiniteLine(
            pos=value, angle=0, movable=False,
            pen=pg.mkPen(colour, width=2 * self.zoom, style=style),
            label=text, labelOpts={"position": 0.02, "anchors": [(0, 1), (0, 1)], "color": colour},
        )
        self.getPlotItem().addItem(line, ignoreBounds=True)
        self._references.append((line, colour))
        self._style_reference_label(line)
        return line

    def set_curve_style(self, key: str, colour: str, style: QtCore.Qt.PenStyle | None = None) -> None:
        """A curve's colour (and line style) from now on: kept for apply_style's theme and zoom changes."""
        curve, old_colour, old_style = self._curves[key]
        style = old_style if style is None else style
        if (colour, style) == (old_colour, old_style):
            return  # called every frame by the ablation grid: a new pen would redraw the curve for nothing
        self._curves[key] = (curve, colour, style)
        curve.setPen(pg.mkPen(colour, width=LINE_WIDTH * self.zoom, style=style))

    def set_y_range_above(self, low: float, line: pg.InfiniteLine, headroom: float = 1.25) -> None:
        """A y range from ``low`` to at least ``headroom`` times the line's value, with room above the
        line for its label however few pixels tall the plot is (its label sits on top of it); kept
        when the plot is resized."""
        if self._range_above is None:
            self.getPlotItem().getViewBox().sigResized.connect(self._refit_range_above)
        self._range_above = (low, line, headroom)
        self._refit_range_above()

    def _refit_range_above(self) -> None:
        low, line, headroom = self._range_above
        value = line.value()
        view_height = self.getPlotItem().getViewBox().height()
        label_height = line.label.boundingRect().height()  # pixels: a label ignores the view's scale
        share = min(max(label_height / view_height, 0.0), 0.6) if view_height > 0 else 0.0
        top = (value - share * low) / (1 - share)  # the label's height is `share` of the range
        self.setYRange(low, max(top, low + (value - low) * headroom), padding=0)

    def set_reference_colour(self, line: pg.InfiniteLine, colour: str) -> None:
        """A reference line's colour and its label's, kept for apply_style like the curves'."""
        self._references[:] = [(item, colour if item is line else old) for item, old in self._references]
        line.setPen(pg.mkPen(colour, width=2 * self.zoom, style=line.pen.style()))
        line.label.setColor(colour)

    def set_ghost(self, x: np.ndarray | None, y: np.ndarray | None, label: str = "") -> None:
        """The previous run's curve, faint and dashed behind the live ones, labelled with its settings;
        None removes it."""
        item = self.getPlotItem()
        if getattr(self, "_ghost", None) is not None:
            item.removeItem(self._ghost[0])
            item.removeItem(self._ghost[1])
            self._ghost = None
        if x is None or not len(x):
            return
        if self.log_x:
            positive = x > 0
            x, y = x[positive], y[positive]
            if not len(x):
                return
        colour = self.theme.muted
        curve = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=LINE_WIDTH * self.zoom * 0.8,
                                                   style=QtCore.Qt.DashLine))
        curve.setOpacity(0.6)
        curve.setZValue(-10)
        text = pg.TextItem(label, color=colour, anchor=(1, 1))
        font = QtGui.QFont()
        font.setPointSizeF(BASE_FONT_PT * 0.8 * self.zoom)
        text.setFont(font)
        text.setPos(float(np.log10(x[-1]) if self.log_x else x[-1]), float(y[-1]))
        item.addItem(curve, ignoreBounds=True)
        item.addItem(text, ignoreBounds=True)
        self._ghost = (curve, text)

    def set_log_x(self, on: bool) -> None:
        """A log step axis: the first steps (where a fast collapse happens) get as much room as the rest."""
        self.log_x = on
        self.getPlotItem().setLogMode(x=on)
        self._x_range = None

    def set_curve(self, key: str, x: np.ndarray, y: np.ndarray) -> None:
        """Draw a curve over training steps; the x range grows in round steps, not every frame."""
        if self.log_x:
            positive = x > 0  # step 0 has no place on a log axis
            x, y = x[positive], y[positive]
        self._curves[key][0].setData(x, y)
        if len(x):
            self._grow_x_range(float(x[0]), float(x[-1]))

    def _grow_x_range(self, first: float, last: float) -> None:
        # A range that changes every frame re-generates the x axis' ticks and labels every frame
        # (a frame's cost: docs/performance.md); a round range changes rarely.
        if self.log_x:
            x_range = (0.0, float(np.log10(round_up(max(last, 10.0)))))
        else:
            x_range = (first, round_up(max(last, first + 10.0) - first) + first)
        if x_range != self._x_range:
            self._x_range = x_range
            self.setXRange(*x_range, padding=0)

    def apply_style(self, theme: Theme, zoom: float) -> None:
        """Colours and sizes for a theme and presenter zoom (text, lines and ticks scale together)."""
        self.theme, self.zoom = theme, zoom
        self.setBackground(theme.background)
        item = self.getPlotItem()
        size = f"{round(BASE_FONT_PT * 1.15 * zoom)}pt"
        item.setTitle(self.title, color=theme.foreground, size=size, bold=True)
        tick_font = QtGui.QFont()
        tick_font.setPointSizeF(BASE_FONT_PT * 0.95 * zoom)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, zoom)))
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setTickFont(tick_font)
            axis.setStyle(tickLength=int(-6 * zoom))
            label_style = {"color": theme.foreground, "font-size": f"{round(BASE_FONT_PT * zoom)}pt"}
            axis.setLabel(axis.labelText, **label_style)
        for curve, colour, style in self._curves.values():
            curve.setPen(pg.mkPen(colour, width=LINE_WIDTH * zoom, style=style))
        for line, colour in self._references:
            line.setPen(pg.mkPen(colour, width=2 * zoom, style=line.pen.style()))
            self._style_reference_label(line)
        if self.legend is not None:
            self.legend.setLabelTextSize(f"{round((BASE_FONT_PT - 1) * zoom)}pt")
            self.legend.setLabelTextColor(theme.foreground)
            self.legend.setBrush(pg.mkBrush(theme.background + "CC"))
            # pyqtgraph stores a legend's new size and colour but redraws a label only on setText.
            for _, label in self.legend.items:
                label.setText(label.text)

    def _style_reference_label(self, line: pg.InfiniteLine) -> None:
        font = QtGui.QFont()
        font.setPointSizeF(BASE_FONT_PT * 0.95 * self.zoom)
        line.label.textItem.setFont(font)
