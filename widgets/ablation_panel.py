"""The ablation page: the papers' ablation tables as live experiments.

Two parts, one tab each: the BYOL guard grid (all 8 combinations of EMA / stop-gradient / predictor
trained side by side from the same seed, eight small multiples of the spread and a table beside the
published outcomes) and the DINO regime map (teacher temperature x centre momentum, filled in cell by
cell, coloured by regime, with DINO App. D's settings marked). Only the part in view trains.

``engine.ablation.AblationSimulation`` is the thin adapter the engine drives: it holds a BYOLGrid
and a DINORegimeMap and steps the one in view. Reads top to bottom: the regime map drawing, the
page (build, draw).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from engine.ablation import PARTS, SEED_SPEC, STEPS_PER_CELL
from engine.byol_grid import GUARD_NAMES, BYOLGrid
from engine.dino_regime_map import REGIMES
from widgets.control_column import HideableControl
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
        return "none (theory only)"
    return source.replace("Table ", "Tab. ").replace(" and Fig. ", ", Fig. ")


REGIME_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["sky_blue"])
REGIME_LETTERS = ("D", "H", "U")
REGIME_WORDS = ("D: one prototype dominates", "H: healthy", "U: uniform")


class RegimeMapView(QtWidgets.QWidget):
    """Teacher temperature (rows, rising upwards) x centre momentum (columns), one cell a DINO run.

    A cell is coloured by its regime and carries the regime's letter (colour-blind safe twice);
    a cell not yet trained is blank, the one training shows its progress. DINO App. D's settings
    are diamonds: filled where the paper found collapse, hollow where it trained well.
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
        legend_width = 250 * z
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
        letter_font = self._font(1.45, bold=True)
        for row in range(rows):
            for column in range(columns):
                rect = self.cell_rect(row, column).adjusted(1.5 * z, 1.5 * z, -1.5 * z, -1.5 * z)
                kind = int(regime[row, column])
                if kind >= 0:
                    painter.fillRect(rect, QtGui.QColor(REGIME_COLOURS[kind]))
                    painter.setPen(QtGui.QColor("#000000"))
                    painter.setFont(letter_font)
                    painter.drawText(rect, QtCore.Qt.AlignCenter, REGIME_LETTERS[kind])
                else:
                    painter.fillRect(rect, QtGui.QColor(theme.panel))
                if current is not None and (current["row"], current["column"]) == (row, column):
                    painter.setPen(QtGui.QPen(QtGui.QColor(theme.foreground), 3 * z, QtCore.Qt.DashLine))
                    painter.drawRect(rect)
                    painter.setFont(self._font(0.95))
                    painter.drawText(rect, QtCore.Qt.AlignCenter,
                                     f"{current['step'] / max(current['steps'], 1):.0%}")
        # DINO App. D's settings: a diamond in the cell's top-right corner.
        for point in snap["paper_points"]:
            if point["cell"] is None:
                continue
            rect = self.cell_rect(*point["cell"])
            size = min(rect.height() * 0.34, 14 * z)
            centre = QtCore.QPointF(rect.right() - size * 0.75, rect.top() + size * 0.75)
            diamond = QtGui.QPolygonF([centre + QtCore.QPointF(0, -size / 2), centre + QtCore.QPointF(size / 2, 0),
                                       centre + QtCore.QPointF(0, size / 2), centre + QtCore.QPointF(-size / 2, 0)])
            painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 2.5 * z))
            painter.setBrush(QtGui.QColor("#000000") if point["outcome"] != "healthy" else QtGui.QColor("#FFFFFF"))
            painter.drawPolygon(diamond)
            painter.setBrush(QtCore.Qt.NoBrush)

    def _paint_axes(self, painter: QtGui.QPainter) -> None:
        snap, theme, z = self.snapshot, self.theme, self.zoom
        area, width, height, _ = self._layout()
        painter.setPen(QtGui.QColor(theme.foreground))
        painter.setFont(self._font(0.95))
        for row, temperature in enumerate(snap["teacher_temperatures"]):
            rect = self.cell_rect(row, 0)
            painter.drawText(QtCore.QRectF(0, rect.top(), area.left() - 8 * z, rect.height()),
                             QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter, f"{temperature:.3g}")
        for column, momentum in enumerate(snap["center_momenta"]):
            rect = self.cell_rect(0, column)
            painter.drawText(QtCore.QRectF(rect.left(), area.bottom() + 2 * z, rect.width(), 24 * z),
                             QtCore.Qt.AlignHCenter | QtCore.Qt.AlignTop, f"{momentum:g}")
        painter.setFont(self._font(1.0, bold=True))
        painter.drawText(QtCore.QRectF(area.left(), area.bottom() + 26 * z, area.width(), 30 * z),
                         QtCore.Qt.AlignCenter, "centre momentum m →")
        painter.save()
        painter.translate(14 * z, area.center().y())
        painter.rotate(-90)
        painter.drawText(QtCore.QRectF(-area.height() / 2, -12 * z, area.height(), 26 * z),
                         QtCore.Qt.AlignCenter, "teacher temperature τₜ →")
        painter.restore()

    def _paint_legend(self, painter: QtGui.QPainter) -> None:
        theme, z = self.theme, self.zoom
        _, _, _, legend = self._layout()
        y = legend.top()
        line = 30 * z
        swatch = 24 * z
        painter.setFont(self._font(1.0, bold=True))
        painter.setPen(QtGui.QColor(theme.foreground))
        painter.drawText(QtCore.QRectF(legend.left(), y, legend.width(), line), QtCore.Qt.AlignVCenter, "Regime")
        y += line
        entries = [(REGIME_COLOURS[k], REGIME_LETTERS[k], REGIME_WORDS[k][3:]) for k in range(3)]
        entries.append((theme.panel, "", "not trained yet"))
        for colour, letter, words in entries:
            rect = QtCore.QRectF(legend.left(), y + (line - swatch) / 2, swatch, swatch)
            painter.fillRect(rect, QtGui.QColor(colour))
            painter.setPen(QtGui.QColor("#000000"))
            painter.setFont(self._font(0.95, bold=True))
            painter.drawText(rect, QtCore.Qt.AlignCenter, letter)
            painter.setPen(QtGui.QColor(theme.foreground))
            painter.setFont(self._font(0.95))
            painter.drawText(QtCore.QRectF(rect.right() + 8 * z, y, legend.width() - swatch - 8 * z, line),
                             QtCore.Qt.AlignVCenter, words)
            y += line
        y += line * 0.4
        painter.setFont(self._font(1.0, bold=True))
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
            painter.setFont(self._font(0.95))
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
            lines += [f"regime: <b>{REGIMES[kind]}</b>",
                      f"teacher entropy {snap['teacher_entropy'][row, column]:.2f} nats",
                      f"prototype-usage entropy {snap['usage_entropy'][row, column]:.2f} nats",
                      f"(uniform over {snap['num_prototypes']} prototypes: log K = {snap['log_k']:.2f})",
                      f"KL(teacher ‖ student) {snap['kl_teacher_student'][row, column]:.3f}",
                      f"kNN accuracy {snap['knn_accuracy'][row, column]:.0%}"]
        for point in snap["paper_points"]:
            if point["cell"] is not None and tuple(point["cell"]) == (row, column):
                agrees = {True: "the toy agrees", False: "the toy DISAGREES", None: "not trained yet"}[point["agrees"]]
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
        super().apply_style(theme, zoom)
        self.getPlotItem().setTitle(self.title, color=theme.foreground,
                                    size=f"{BASE_FONT_PT * 0.9 * zoom:.1f}pt", bold=True)


HELP_TEXT = """
<p><b>BYOL guard grid.</b> All 8 combinations of the three collapse guards (EMA teacher,
stop-gradient, predictor), trained side by side from the same seed on the same data. Each small
plot is one combination's spread: std of z/|z| × √d, about 1 when the outputs spread over the
sphere, 0 when every input gets the same output. The table puts each outcome beside what the
papers found (BYOL, SimSiam); a row where the toy disagrees says so.</p>
<p><b>DINO regime map.</b> One DINO run a cell, teacher temperature (rows) × centre momentum
(columns). A teacher too sharp, or a centre too slow to follow it, lets one prototype take
every sample; a teacher too soft gives uniform outputs. Between the two: healthy.
Hover a cell for its entropies.</p>
"""


class AblationPanel(SimulationPanel):
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
        self.parts.currentChanged.connect(lambda i: self.send_param("part", PARTS[i]))
        self.plots = list(self.member_plots)
        grid.addWidget(self.parts, 0, 0)

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
            return ("<b>DINO regime map:</b> teacher temperature × centre momentum, one run a cell from "
                    "the same seed. Too sharp a teacher or too slow a centre: one prototype dominates; "
                    "too soft a teacher: uniform. ◆ DINO App. D's settings.")
        return ("<b>BYOL guard grid:</b> 8 guard combinations, same seed. Spread = std × √d: "
                "dashed 1 = spread out, dotted 0.1 = collapse.")

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        if snapshot["part"] == "dino":
            snap = snapshot["dino"]
            done, total = snap["cells_done"], snap["cells_total"]
            regime = snap["regime"][snap["regime"] >= 0]
            counts = ", ".join(f"{int(np.sum(regime == k))} {REGIMES[k]}" for k in range(3))
            points = [p for p in snap["paper_points"] if p["agrees"] is not None]
            agree = sum(p["agrees"] for p in points)
            detail = (f"{done} of {total} cells ({snap['steps_per_cell']} steps each): {counts}. "
                      f"DINO App. D: the toy agrees at {agree} of {len(points)} settings trained so far.")
            if snap["finished"]:
                return f"REGIME MAP COMPLETE: {total} cells", "healthy", detail
            current = snap["current"]
            where = ""
            if current is not None:
                where = (f": now τₜ = {snap['teacher_temperatures'][current['row']]:.3g}, "
                         f"m = {snap['center_momenta'][current['column']]:g}")
            return f"REGIME MAP: {done} of {total} cells{where}", "filling", detail
        snap = snapshot["byol"]
        members = snap["members"]
        ran = [m for m in members if m["agrees"] is not None]
        disagree = [m["name"] for m in ran if m["agrees"] is False]
        detail = (f"step {snap['step']} · {sum(m['verdict'] == 'healthy' for m in members)} of 8 healthy · "
                  f"{len(ran) - len(disagree)} of {len(ran)} combinations the papers ran agree with them")
        if disagree:
            detail += f"; disagrees: {', '.join(disagree)}"
        if not disagree:
            return f"GUARD GRID, step {snap['step']}: every tested combination agrees with the papers", "healthy", detail
        return (f"GUARD GRID, step {snap['step']}: {len(disagree)} of {len(ran)} disagree with the papers",
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
            curve = plot._curves["spread"][0]
            colour = self._verdict_colour(member["verdict"])
            pen_style = style.get(member["verdict"], DASH)
            plot._curves["spread"] = (curve, colour, pen_style)
            curve.setPen(colour, width=3.0 * self.zoom, style=pen_style)
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
        super().set_theme(theme, zoom)
