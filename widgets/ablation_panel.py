"""The ablation page: the papers' ablation tables as live experiments.

Three parts, one tab each: the BYOL guard grid (all 8 combinations of EMA / stop-gradient / predictor
trained side by side from the same seed, eight small multiples of the spread and a table beside the
published outcomes) and the DINO regime map (teacher temperature x centre momentum x 3 seeds, filled
in run by run, each cell coloured by its seeds' majority regime with the share written, DINO App.
D's settings marked), and multi-crop's locals ablation (widgets/multicrop_ablation_view.py: six runs
with 0 to 10 local crops, the toy's DINO Table 8). Only the part in view trains.

``engine.ablation.AblationSimulation`` is the thin adapter the engine drives: it holds a BYOLGrid
and a DINORegimeMap and steps the one in view. Reads top to bottom: the regime map drawing, the
page (build, draw).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from engine.ablation import PARTS, SEED_SPEC, STEPS_PER_CELL
from engine.byol_grid import BYOLGrid
from engine.dino_regime_map import REGIMES
from engine.published import GUARD_NAMES
from widgets.control_column import HideableControl
from widgets.multicrop_ablation_view import MulticropAblationView, multicrop_live_state
from widgets.panel_base import SimulationPanel
from widgets.plots import MetricPlot
from widgets.theme import BASE_FONT_PT, DASH, DOT, LIGHT, OKABE_ITO, Theme


# ---- the regime map drawing --------------------------------------------------------------------------

SHORT_NAMES = {  # plot titles and table rows: short enough for a quarter of the width
    (True, True, True): "all guards (BYOL)",
    (True, True, False): "no predictor",
    (True, False, True): "no stop-gradient",
    (True, False, False): "EMA only",
    (False, True, True): "no EMA (SimSiam)",
    (False, True, False): "stop-grad only",
    (False, False, True): "predictor only",
    (False, False, False): "no guard at all",
}
# The toy's verdict, whether it agrees, then the paper's outcome and source in one last column: at
# presenter zoom on a 1280-wide screen a separate source column pushed "Agrees?" off the page.
TABLE_COLUMNS = ("Combination", "Spread", "Rank", "kNN", "Toy verdict", "Agrees?", "Paper (source)")
AGREES_COLUMN = TABLE_COLUMNS.index("Agrees?")


def short_source(source: str) -> str:
    """A paper source short enough for the table (the tooltip has it in full)."""
    if source.startswith("none"):
        return "theory only"
    return source.replace("Table ", "Tab. ").replace(" and Fig. ", ", Fig. ")


REGIME_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["sky_blue"])
REGIME_LETTERS = ("D", "H", "U")
REGIME_WORDS = ("D: one prototype dominates", "H: healthy", "U: uniform")


class RegimeMapView(QtWidgets.QWidget):
    """Teacher temperature (rows, rising upwards) x centre momentum (columns), a DINO run a seed.

    A cell is coloured by the regime most of its seeds reached and carries that regime's letter
    and its share of the seeds ("H 2/3"; colour-blind safe twice); when the seeds split, a bar
    along the bottom shows each regime's fraction. A cell not yet trained is blank, the ones in
    training are outlined. DINO App. D's settings are diamonds: filled where the paper found
    collapse, hollow where it trained well.
    """

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = theme, 1.0
        self.snapshot: dict | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(300, 220)
        self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Expanding)

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        self.update()

    def set_snapshot(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self.update()

    # -- geometry -----------------------------------------------------------------------
    def _font(self, scale: float = 1.0, bold: bool = False) -> QtGui.QFont:
        font = QtGui.QFont(self.font())
        font.setPointSizeF(BASE_FONT_PT * scale * self.zoom)
        font.setBold(bold)
        return font

    def _layout(self) -> tuple[QtCore.QRectF, float, float, QtCore.QRectF]:
        """(cell area, cell width, cell height, legend area)."""
        rows, columns = self.snapshot["regime"].shape
        z = self.zoom
        # At presenter zoom the legend would take most of the width: it gets at most 30 % and its
        # text shrinks to fit (the cells are the thing to see).
        legend_width = min(250 * z, max(120.0, 0.3 * self.width()))
        self._legend_scale = legend_width / (250 * z)
        left, top, bottom = 86 * z, 8 * z, 62 * z
        area = QtCore.QRectF(left, top, max(10.0, self.width() - left - legend_width - 16 * z),
                             max(10.0, self.height() - top - bottom))
        legend = QtCore.QRectF(area.right() + 16 * z, top, legend_width, area.height())
        return area, area.width() / columns, area.height() / rows, legend

    def cell_at(self, point: QtCore.QPointF) -> tuple[int, int] | None:
        if self.snapshot is None:
            return None
        area, width, height, _ = self._layout()
        if not area.contains(point):
            return None
        rows, columns = self.snapshot["regime"].shape
        column = min(columns - 1, int((point.x() - area.left()) / width))
        row = rows - 1 - min(rows - 1, int((point.y() - area.top()) / height))
        return row, column

    def cell_rect(self, row: int, column: int) -> QtCore.QRectF:
        area, width, height, _ = self._layout()
        rows = self.snapshot["regime"].shape[0]
        return QtCore.QRectF(area.left() + column * width, area.top() + (rows - 1 - row) * height,
                             width, height)

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        painter.fillRect(self.rect(), QtGui.QColor(self.theme.background))
        if self.snapshot is not None:
            self._paint_cells(painter)
            self._paint_axes(painter)
            self._paint_legend(painter)
        painter.end()

    def _paint_cells(self, painter: QtGui.QPainter) -> None:
        snap, theme, z = self.snapshot, self.theme, self.zoom
        regime = snap["regime"]
        rows, columns = regime.shape
        current = snap.get("current")
        in_flight = {tuple(cell) for cell in snap.get("in_flight", ())}
        letter_font = self._font(1.3, bold=True)
        for row in range(rows):
            for column in range(columns):
                rect = self.cell_rect(row, column).adjusted(1.5 * z, 1.5 * z, -1.5 * z, -1.5 * z)
                kind = int(regime[row, column])
                if kind >= 0:
                    self._paint_fractions(painter, rect, row, column, kind, letter_font)
                else:
                    painter.fillRect(rect, QtGui.QColor(theme.panel))
                if (row, column) in in_flight:
                    painter.setPen(QtGui.QPen(QtGui.QColor(theme.foreground), 3 * z, QtCore.Qt.DashLine))
                    painter.drawRect(rect)
                    if current is not None and (current["row"], current["column"]) == (row, column) \
                            and kind < 0:
                        painter.setFont(self._font(0.95))
                        painter.drawText(rect, QtCore.Qt.AlignCenter,
                                         f"{current['step'] / max(current['steps'], 1):.0%}")
        # DINO App. D's settings: a diamond in the cell's top-right corner.
        for point in snap["paper_points"]:
            if point["cell"] is None:
                continue
            rect = self.cell_rect(*point["cell"])
            size = self._diamond_size(rect)
            centre = QtCore.QPointF(rect.right() - size * 0.7, rect.top() + size * 0.7)
            diamond = QtGui.QPolygonF([centre + QtCore.QPointF(0, -size / 2), centre + QtCore.QPointF(size / 2, 0),
                                       centre + QtCore.QPointF(0, size / 2), centre + QtCore.QPointF(-size / 2, 0)])
            painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 2.5 * z))
            painter.setBrush(QtGui.QColor("#000000") if point["outcome"] != "healthy" else QtGui.QColor("#FFFFFF"))
            painter.drawPolygon(diamond)
            painter.setBrush(QtCore.Qt.NoBrush)

    def _diamond_size(self, rect: QtCore.QRectF) -> float:
        return min(rect.height() * 0.3, 13 * self.zoom)

    def _paint_fractions(self, painter, rect, row, column, kind, letter_font) -> None:
        """The majority's colour and letter with its share of the seeds ("H 2/3"), and a bar
        along the bottom split by the fraction of seeds in each regime."""
        snap, z = self.snapshot, self.zoom
        seeds_done = int(snap["seeds_done"][row, column]) if "seeds_done" in snap else 1
        shares = snap["regime_fractions"][row, column] if "regime_fractions" in snap else None
        painter.fillRect(rect, QtGui.QColor(REGIME_COLOURS[kind]))
        bar_height = 0.0
        if shares is not None and seeds_done > 1 and shares[kind] < 1.0:
            bar_height = min(rect.height() * 0.3, 16 * z)
            left = rect.left()
            for k, share in enumerate(shares):
                if share <= 0:
                    continue
                part = QtCore.QRectF(left, rect.bottom() - bar_height, rect.width() * share, bar_height)
                painter.fillRect(part, QtGui.QColor(REGIME_COLOURS[k]))
                left += part.width()
            painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 1.5 * z))
            painter.drawLine(QtCore.QPointF(rect.left(), rect.bottom() - bar_height),
                             QtCore.QPointF(rect.right(), rect.bottom() - bar_height))
        text = REGIME_LETTERS[kind]
        total = len(snap.get("seeds", ())) or seeds_done
        if total > 1:
            agreeing = round(shares[kind] * seeds_done) if shares is not None else seeds_done
            text += f" {agreeing}/{total}" if seeds_done == total else f" {agreeing}/{seeds_done}…"
        painter.setPen(QtGui.QColor("#000000"))
        # Below the App. D diamond in the top-right corner, where a cell has one.
        paper_cells = {tuple(p["cell"]) for p in snap["paper_points"] if p["cell"] is not None}
        top = self._diamond_size(rect) * 1.2 if (row, column) in paper_cells else 0.0
        text_rect = rect.adjusted(2 * z, top, -2 * z, -bar_height)
        font = QtGui.QFont(letter_font)
        # Shrink to the cell; if even a small font does not fit, the letter alone.
        while font.pointSizeF() > 7 and QtGui.QFontMetricsF(font).horizontalAdvance(text) > text_rect.width():
            font.setPointSizeF(font.pointSizeF() * 0.9)
        if QtGui.QFontMetricsF(font).horizontalAdvance(text) > text_rect.width():
            text, font = REGIME_LETTERS[kind], letter_font
        painter.setFont(font)
        painter.drawText(text_rect, QtCore.Qt.AlignCenter, text)

    def _fitted_font(self, texts, width: float, scale: float, bold: bool = False) -> QtGui.QFont:
        """The font at ``scale``, shrunk until the widest of ``texts`` fits ``width``."""
        font = self._font(scale, bold)
        widest = lambda: max(QtGui.QFontMetricsF(font).horizontalAdvance(t) for t in texts)  # noqa: E731
        while font.pointSizeF() > 6 and widest() > width:
            font.setPointSizeF(font.pointSizeF() * 0.9)
        return font

    def _paint_axes(self, painter: QtGui.QPainter) -> None:
        snap, theme, z = self.snapshot, self.theme, self.zoom
        area, width, height, legend = self._layout()
        painter.setPen(QtGui.QColor(theme.foreground))
        painter.setFont(self._fitted_font([f"{t:.3g}" for t in snap["teacher_temperatures"]],
                                          area.left() - 36 * z, 0.95))
        for row, temperature in enumerate(snap["teacher_temperatures"]):
            rect = self.cell_rect(row, 0)
            painter.drawText(QtCore.QRectF(0, rect.top(), area.left() - 8 * z, rect.height()),
                             QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter, f"{temperature:.3g}")
        labels = [f"{m:g}" for m in snap["center_momenta"]]
        painter.setFont(self._fitted_font(labels, width - 4 * z, 0.95))
        for column, label in enumerate(labels):
            rect = self.cell_rect(0, column)
            painter.drawText(QtCore.QRectF(rect.left(), area.bottom() + 2 * z, rect.width(), 24 * z),
                             QtCore.Qt.AlignHCenter | QtCore.Qt.AlignTop, label)
        x_title, y_title = "centre momentum m →", "teacher temperature τₜ →"
        title_width = legend.left() - 8 * z
        painter.setFont(self._fitted_font([x_title], title_width, 1.0, bold=True))
        painter.drawText(QtCore.QRectF(0, area.bottom() + 26 * z, title_width, 30 * z),
                         QtCore.Qt.AlignCenter, x_title)
        painter.save()
        painter.translate(14 * z, area.center().y())
        painter.rotate(-90)
        painter.setFont(self._fitted_font([y_title], area.height() + 50 * z, 1.0, bold=True))
        painter.drawText(QtCore.QRectF(-area.height() / 2 - 25 * z, -12 * z, area.height() + 50 * z,
                                       26 * z), QtCore.Qt.AlignCenter, y_title)
        painter.restore()

    def _paint_legend(self, painter: QtGui.QPainter) -> None:
        theme, z = self.theme, self.zoom
        _, _, _, legend = self._layout()
        scale = self._legend_scale
        z = z * scale  # every length and font of the legend shrinks together
        y = legend.top()
        line = 30 * z
        swatch = 24 * z
        painter.setFont(self._font(1.0 * scale, bold=True))
        painter.setPen(QtGui.QColor(theme.foreground))
        painter.drawText(QtCore.QRectF(legend.left(), y, legend.width(), line), QtCore.Qt.AlignVCenter, "Regime")
        y += line
        entries = [(REGIME_COLOURS[k], REGIME_LETTERS[k], REGIME_WORDS[k][3:]) for k in range(3)]
        entries.append((theme.panel, "", "not trained yet"))
        for colour, letter, words in entries:
            rect = QtCore.QRectF(legend.left(), y + (line - swatch) / 2, swatch, swatch)
            painter.fillRect(rect, QtGui.QColor(colour))
            painter.setPen(QtGui.QColor("#000000"))
            painter.setFont(self._font(0.95 * scale, bold=True))
            painter.drawText(rect, QtCore.Qt.AlignCenter, letter)
            painter.setPen(QtGui.QColor(theme.foreground))
            painter.setFont(self._font(0.95 * scale))
            painter.drawText(QtCore.QRectF(rect.right() + 8 * z, y, legend.width() - swatch - 8 * z, line),
                             QtCore.Qt.AlignVCenter, words)
            y += line
        y += line * 0.4
        painter.setFont(self._font(1.0 * scale, bold=True))
        painter.drawText(QtCore.QRectF(legend.left(), y, legend.width(), line), QtCore.Qt.AlignVCenter,
                         "DINO App. D ran")
        y += line
        for filled, words in ((True, "collapsed (0.1%)"), (False, "trained well")):
            size = 16 * z
            centre = QtCore.QPointF(legend.left() + swatch / 2, y + line / 2)
            diamond = QtGui.QPolygonF([centre + QtCore.QPointF(0, -size / 2), centre + QtCore.QPointF(size / 2, 0),
                                       centre + QtCore.QPointF(0, size / 2), centre + QtCore.QPointF(-size / 2, 0)])
            painter.setPen(QtGui.QPen(QtGui.QColor(theme.foreground), 2.5 * z))
            painter.setBrush(QtGui.QColor(theme.foreground) if filled else QtGui.QColor(theme.background))
            painter.drawPolygon(diamond)
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.setFont(self._font(0.95 * scale))
            painter.drawText(QtCore.QRectF(legend.left() + swatch + 8 * z, y, legend.width() - swatch - 8 * z, line),
                             QtCore.Qt.AlignVCenter, words)
            y += line

    # -- hover --------------------------------------------------------------------------
    def tooltip_text(self, row: int, column: int) -> str:
        snap = self.snapshot
        temperature = snap["teacher_temperatures"][row]
        momentum = snap["center_momenta"][column]
        lines = [f"<b>teacher temperature {temperature:.3g}, centre momentum {momentum:g}</b>"]
        kind = int(snap["regime"][row, column])
        if kind < 0:
            lines.append("not trained yet")
        else:
            seeds_done = int(snap["seeds_done"][row, column])
            shares = snap["regime_fractions"][row, column]
            split = ", ".join(f"{round(share * seeds_done)} {REGIMES[k]}"
                              for k, share in enumerate(shares) if share > 0)
            lines += [f"regime: <b>{REGIMES[kind]}</b> (most seeds)",
                      f"{seeds_done} of {len(snap['seeds'])} seeds trained: {split}",
                      "medians over those seeds:",
                      f"teacher entropy {snap['teacher_entropy'][row, column]:.2f} nats",
                      f"prototype-usage entropy {snap['usage_entropy'][row, column]:.2f} nats",
                      f"(uniform over {snap['num_prototypes']} prototypes: log K = {snap['log_k']:.2f})",
                      f"KL(teacher ‖ student) {snap['kl_teacher_student'][row, column]:.3f}",
                      f"kNN accuracy {snap['knn_accuracy'][row, column]:.0%}"]
        for point in snap["paper_points"]:
            if point["cell"] is not None and tuple(point["cell"]) == (row, column):
                if point["agrees"] is None:
                    agrees = "not trained yet"
                else:
                    agrees = (f"the toy agrees on {point['seeds_agreeing']} of "
                              f"{point['seeds_done']} seeds")
                lines.append(f"{point['source']} ({point['note']}): {point['outcome']}, "
                             f"{point['top1']:g}% top-1; {agrees}")
        return "<br>".join(lines)

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.ToolTip:
            cell = self.cell_at(QtCore.QPointF(event.pos()))
            if cell is None:
                QtWidgets.QToolTip.hideText()
            else:
                QtWidgets.QToolTip.showText(event.globalPos(), self.tooltip_text(*cell), self)
            return True
        return super().event(event)


# ---- the page ----------------------------------------------------------------------------------------


class SmallMultiple(MetricPlot):
    """One guard combination's spread: a compact MetricPlot with a smaller title."""

    def apply_style(self, theme: Theme, zoom: float) -> None:
        # Ticks and title no larger than at zoom 1.2: beyond, a quarter of the plots is too narrow
        # ("all guards (BYOL)" overflowed, the step ticks ran together as "100200").
        super().apply_style(theme, min(zoom, 1.2))
        self.getPlotItem().setTitle(self.title, color=theme.foreground,
                                    size=f"{BASE_FONT_PT * 0.9 * min(zoom, 1.2):.1f}pt", bold=True)


HELP_TEXT = """
<p><b>BYOL guard grid.</b> All 8 combinations of the three collapse guards (EMA teacher,
stop-gradient, predictor), trained side by side from the same seed on the same data. Each small
plot is one combination's spread: std of z/|z| × √d, about 1 when the outputs spread over the
sphere, 0 when every input gets the same output. The table puts each outcome beside what the
papers found (BYOL, SimSiam); a row where the toy disagrees says so.</p>
<p><b>DINO regime map.</b> Teacher temperature (rows) × centre momentum (columns), one DINO
run a cell and seed. The map fills in for a first seed, then again for two more; a cell shows
the regime most of its seeds reached and how many ("H 2/3"), and a bar split by regime when they
disagree. A teacher too sharp, or a centre too slow to follow it, lets one prototype take every
sample; a teacher too soft gives uniform outputs. Between the two: healthy. Hover a cell for its
entropies.</p>
<p><b>Multi-crop locals.</b> Six multi-crop DINO runs on the same photos from the same seed and
network, each step on the same two global crops; they differ only in how many local crops (0, 2, 4,
6, 8, 10) the student also learns from. Each curve is part-to-whole accuracy: how often a fresh
local crop's nearest global crop is of its own photo. The 0-locals run is the twin of the
multi-crop page. DINO's Table 8 is the published version (67.8 → 74.6 % ImageNet top-1 with 10
extra 96-px crops). In this toy, on 10 of 10 held-out seeds (1000 steps), every run with local
crops ends above the 0-locals run (10 locals: +2 to +12 points), but accuracy does not keep rising
with more: 2 locals did best on 7 of 10 seeds, 4 on the other 3 (once tied with 6).</p>
"""


class AblationPanel(SimulationPanel):
    HISTORY_SCRUBBER = False  # eight runs and a map: the page has no room for it at presenter zoom
    PAGE_KEY = "ablation"
    TITLE = "Ablations"
    PARAMS = (SEED_SPEC,)

    # -- build ----------------------------------------------------------------------------
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        box = QtWidgets.QGroupBox("Regime map")
        box_layout = QtWidgets.QFormLayout(box)
        box_layout.setRowWrapPolicy(QtWidgets.QFormLayout.WrapAllRows)  # label above: a narrower column
        self.steps_per_cell = QtWidgets.QComboBox()
        for steps in STEPS_PER_CELL:
            self.steps_per_cell.addItem(f"{steps}" + (" (default)" if steps == STEPS_PER_CELL[0] else ""), steps)
        self.steps_per_cell.setToolTip("Training steps of every cell; changing it starts the map afresh.")
        self.steps_per_cell.currentIndexChanged.connect(
            lambda i: self.send_param("steps_per_cell", self.steps_per_cell.itemData(i)))
        box_layout.addRow("Steps a cell", self.steps_per_cell)
        layout.addWidget(box)
        self.add_help(layout, HELP_TEXT)

    def hideable_controls(self) -> list[HideableControl]:
        controls = super().hideable_controls()
        label = self.steps_per_cell.parentWidget().layout().labelForField(self.steps_per_cell)
        controls.insert(1, HideableControl("steps_per_cell", "Steps a cell (regime map)",
                                           (label, self.steps_per_cell)))
        return controls

    def build_plots(self, grid: QtWidgets.QGridLayout) -> None:
        theme = self.theme
        self.parts = QtWidgets.QTabWidget()
        self.parts.setObjectName("ablation_parts")

        # (a) the BYOL guard grid
        byol_page = QtWidgets.QWidget()
        byol_layout = QtWidgets.QVBoxLayout(byol_page)
        byol_layout.setContentsMargins(0, 4, 0, 0)
        byol_layout.setSpacing(4)
        multiples = QtWidgets.QGridLayout()
        multiples.setSpacing(4)
        self.member_plots: list[SmallMultiple] = []
        for k, combination in enumerate(BYOLGrid.COMBINATIONS):
            plot = SmallMultiple(SHORT_NAMES[combination], "", theme, x_label="")
            plot.setToolTip(GUARD_NAMES[combination])
            plot.add_curve("spread", "", theme.primary)
            # The lines are explained in the caption; their values are the ticks.
            plot.add_reference(1.0, " ", DASH)
            plot.add_reference(0.1, " ", DOT, theme.collapsed)
            plot.setYRange(0, 1.4, padding=0)
            # Fewer step ticks: in a quarter of the page width "100200300" ran together at zoom 1.3.
            plot.getPlotItem().getAxis("bottom").setTickDensity(0.6)
            plot.getPlotItem().getAxis("left").setTicks([[(0.1, "0.1"), (0.5, "0.5"), (1.0, "1")], []])
            if k < 4:  # the top row shares the bottom row's step axis
                plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
                plot.getPlotItem().getAxis("bottom").setHeight(6)
            self.member_plots.append(plot)
            multiples.addWidget(plot, k // 4, k % 4)
        byol_layout.addLayout(multiples, 3)
        self.table = QtWidgets.QTableWidget(len(BYOLGrid.COMBINATIONS), len(TABLE_COLUMNS))
        self.table.setObjectName("ablation_table")
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.NoSelection)
        self.table.setFocusPolicy(QtCore.Qt.NoFocus)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(QtCore.Qt.ElideRight)
        header = self.table.horizontalHeader()
        for column in range(len(TABLE_COLUMNS)):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(TABLE_COLUMNS) - 1, QtWidgets.QHeaderView.Stretch)
        self.table.horizontalHeaderItem(1).setToolTip("std of z/|z| × √d: 1 spread out, 0 collapsed")
        self.table.horizontalHeaderItem(2).setToolTip("effective rank (RankMe) of the projections")
        byol_layout.addWidget(self.table)
        for plot in self.member_plots:
            plot.setMinimumHeight(110)
        # At presenter zoom on 1280x720 the plots and the 8-row table are taller than the window:
        # they scroll, rather than forcing the window taller than the screen.
        self.byol_scroll = QtWidgets.QScrollArea()
        self.byol_scroll.setWidget(byol_page)
        self.byol_scroll.setWidgetResizable(True)
        self.byol_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.byol_scroll.setFrameShape(QtWidgets.QFrame.NoFrame)
        self.parts.addTab(self.byol_scroll, "BYOL guard grid")

        # (b) the DINO regime map
        self.regime_view = RegimeMapView(theme)
        self.parts.addTab(self.regime_view, "DINO regime map")
        # (c) multi-crop's locals ablation
        self.multicrop_view = MulticropAblationView(theme)
        self.parts.addTab(self.multicrop_view, "Multi-crop locals")
        self.parts.currentChanged.connect(lambda i: self.send_param("part", PARTS[i]))
        self.plots = list(self.member_plots) + [self.multicrop_view.plot]
        grid.addWidget(self.parts, 0, 0)

    def apply_param(self, name: str, value: object) -> None:
        """The part shows its tab (which sends it); the rest as on every page."""
        if name == "part":
            self.parts.setCurrentIndex(PARTS.index(value))
        else:
            super().apply_param(name, value)

    def apply_scenario(self, scenario) -> None:
        """Also show the scenario's part and steps a cell (controls the base class does not know)."""
        params = scenario.params
        for widget, index in ((self.parts, PARTS.index(params.get("part", PARTS[0]))),
                              (self.steps_per_cell, self.steps_per_cell.findData(params.get("steps_per_cell")))):
            widget.blockSignals(True)  # the scenario sends every parameter itself, once
            widget.setCurrentIndex(max(index, 0))
            widget.blockSignals(False)
        super().apply_scenario(scenario)

    # -- words ----------------------------------------------------------------------------
    def caption_text(self, params: dict) -> str:
        if params.get("part") == "dino":
            return ("<b>DINO regime map:</b> teacher temperature × centre momentum, one run a seed; "
                    "a cell shows what most seeds did and how many (H 2/3). Too sharp a teacher or too "
                    "slow a centre: one prototype dominates; too soft a teacher: uniform. "
                    "◆ DINO App. D's settings.")
        if params.get("part") == "multicrop":
            return "<b>Multi-crop locals:</b> 6 runs, same seed and photos, with 0 to 10 local crops."
        return ("<b>BYOL guard grid:</b> 8 guard combinations, same seed. Spread = std × √d: "
                "dashed 1 = spread out, dotted 0.1 = collapse.")

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        if snapshot["part"] == "multicrop":
            return multicrop_live_state(snapshot["multicrop"])
        if snapshot["part"] == "dino":
            snap = snapshot["dino"]
            done, total = snap["cells_done"], snap["cells_total"]
            regime = snap["regime"][snap["regime"] >= 0]
            counts = ", ".join(f"{int(np.sum(regime == k))} {REGIMES[k]}" for k in range(3))
            points = [p for p in snap["paper_points"] if p["agrees"] is not None]
            agree = sum(p["agrees"] for p in points)
            seeds_agreeing = sum(p["seeds_agreeing"] for p in points)
            seeds_run = sum(p["seeds_done"] for p in points)
            seeds = snap["seeds"]
            detail = (f"{done} of {total} cells, {len(seeds)} seeds each ({seeds[0]}-{seeds[-1]}), "
                      f"{snap['steps_per_cell']} steps a run; by majority: {counts}. DINO App. D: "
                      f"the toy agrees at {agree} of {len(points)} settings, on {seeds_agreeing} of "
                      f"{seeds_run} runs.")
            if snap["finished"]:
                return f"REGIME MAP COMPLETE: {total} cells", "healthy", detail
            current = snap["current"]
            where = ""
            if current is not None:
                where = (f": now τₜ = {snap['teacher_temperatures'][current['row']]:.3g}, "
                         f"m = {snap['center_momenta'][current['column']]:g}")
            return (f"REGIME MAP: {done} of {total} cells ({snap['runs_done']} of "
                    f"{snap['runs_total']} runs){where}", "filling", detail)
        snap = snapshot["byol"]
        members = snap["members"]
        if not members[0]["judged"]:
            # The papers report trained networks: nothing is compared with them before that.
            judge_at = members[0]["judge_from_step"]
            detail = (f"step {snap['step']} · {sum(m['verdict'] == 'healthy' for m in members)} of 8 read healthy "
                      f"now · compared with the papers from step {judge_at}")
            # No step in the verdicts: the Now line has it, and at zoom 2 a verdict must fit one line.
            return (f"GUARD GRID: training, judged from step {judge_at}",
                    "untrained", detail)
        ran = [m for m in members if m["agrees"] is not None]
        disagree = [m["name"] for m in ran if m["agrees"] is False]
        detail = (f"step {snap['step']} · {sum(m['verdict'] == 'healthy' for m in members)} of 8 healthy · "
                  f"{len(ran) - len(disagree)} of {len(ran)} combinations the papers ran agree with them")
        if disagree:
            detail += f"; disagrees: {', '.join(disagree)}"
        if not disagree:
            return (f"GUARD GRID: the toy agrees with the papers ({len(ran)} of {len(ran)})",
                    "healthy", detail)
        return (f"GUARD GRID: {len(disagree)} of {len(ran)} disagree with the papers",
                "disagree", detail)

    # -- draw -----------------------------------------------------------------------------
    def draw(self, snapshot: dict) -> None:
        if self.parts.currentIndex() != PARTS.index(snapshot["part"]):
            self.parts.blockSignals(True)
            self.parts.setCurrentIndex(PARTS.index(snapshot["part"]))
            self.parts.blockSignals(False)
        index = STEPS_PER_CELL.index(snapshot["params"]["steps_per_cell"]) \
            if snapshot["params"]["steps_per_cell"] in STEPS_PER_CELL else 0
        if self.steps_per_cell.currentIndex() != index:
            self.steps_per_cell.blockSignals(True)
            self.steps_per_cell.setCurrentIndex(index)
            self.steps_per_cell.blockSignals(False)
        self._draw_grid(snapshot["byol"])
        self.regime_view.set_snapshot(snapshot["dino"])
        self.multicrop_view.set_snapshot(snapshot["multicrop"])

    def _verdict_colour(self, verdict: str) -> str:
        return {"healthy": self.theme.healthy, "collapsed": self.theme.collapsed}.get(verdict, self.theme.warning)

    def _draw_grid(self, snap: dict) -> None:
        root_d = math.sqrt(snap["dim"])
        top = 1.4
        for member in snap["members"]:
            spread = member["history"]["std_normalized"] * root_d
            if np.isfinite(spread).any():
                top = max(top, 1.1 * float(np.nanmax(spread)))
        style = {"healthy": QtCore.Qt.SolidLine, "collapsed": DOT}
        for plot, member in zip(self.member_plots, snap["members"]):
            history = member["history"]
            plot.set_curve_style("spread", self._verdict_colour(member["verdict"]),
                                 style.get(member["verdict"], DASH))
            plot.set_curve("spread", history["step"], history["std_normalized"] * root_d)
            plot.setYRange(0, top, padding=0)
        self._fill_table(snap)

    def _fill_table(self, snap: dict) -> None:
        theme = self.theme
        bold = QtGui.QFont(self.table.font())
        bold.setBold(True)
        for row, member in enumerate(snap["members"]):
            published = member["published"]
            diverged = member["diverged_at_step"]
            verdict = member["verdict"] + (f" (diverged, step {diverged})" if diverged is not None else "")
            agrees = member["agrees"]
            agree_text, agree_colour = {
                True: ("✓ agrees", theme.healthy),
                False: ("✗ DISAGREES", theme.collapsed),
                None: ("– no paper", theme.muted),
            }[agrees]
            if not member["judged"] and published["verdict"] is not None:
                agree_text = f"… at step {member['judge_from_step']}"
            cells = [
                (SHORT_NAMES[(member["ema"], member["stop_gradient"], member["predictor"])], None, None),
                (f"{member['spread']:.2f}", None, None),
                (f"{member['effective_rank']:.1f}", None, None),
                (f"{member['knn_accuracy']:.0%}", None, None),
                (verdict, self._verdict_colour(member["verdict"]), None),
                (agree_text, agree_colour, None),
                (("not run" if published["verdict"] is None else published["outcome"])
                 + f" ({short_source(published['source'])})", None,
                 f"{published['source']}: {published['evidence']}"),
            ]
            for column, (text, colour, tip) in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QtWidgets.QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
                item.setToolTip(tip or (member["name"] if column == 0 else text))
                if colour is not None:
                    item.setForeground(QtGui.QColor(colour))
                    item.setFont(bold)
                if column == AGREES_COLUMN and agrees is False:
                    item.setBackground(QtGui.QColor(theme.collapsed))
                    item.setForeground(QtGui.QColor("#FFFFFF"))
                elif column == AGREES_COLUMN:
                    item.setBackground(QtGui.QColor(theme.background))
        self._fit_table()

    def _fit_table(self) -> None:
        """Compact rows, and a table exactly tall enough for all 8 (never a hidden row)."""
        rows = self.table.rowCount()
        row_height = self.table.fontMetrics().height() + int(8 * self.zoom)
        for row in range(rows):
            self.table.setRowHeight(row, row_height)
        height = self.table.horizontalHeader().height() + rows * row_height + 2 * self.table.frameWidth()
        self.table.setFixedHeight(height)

    # -- look -----------------------------------------------------------------------------
    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.regime_view.set_theme(theme, zoom)
        self.multicrop_view.set_theme(theme, zoom)
        # Three tabs: narrower than the page tabs, or at presenter zoom they scroll out of view.
        self.parts.setStyleSheet(f"QTabBar::tab {{ font-size: {BASE_FONT_PT * zoom:.1f}pt; "
                                 f"padding: {5 * zoom:.0f}px {8 * zoom:.0f}px; }}")
        super().set_theme(theme, zoom)
        # At presenter zoom the numbers give way to the verdicts, the papers' outcomes and whether
        # they agree, which ran off the right edge at zoom 2 (the numbers are in each plot's curve).
        for column in (1, 2, 3):
            self.table.setColumnHidden(column, self.compact())
