"""The BYOL page: three collapse guards as switches, and the spread of the outputs as it lives or
crashes. Reads top to bottom: build the controls, build the plots, draw a snapshot."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from engine.byol import BYOL_PARAMS, describe_guards
from engine.verdicts import headline, spread
from widgets.diagrams.byol_diagram import GUARDS, BYOLDiagram
from widgets.panel_base import SimulationPanel, set_hero_stretch
from widgets.plots import MetricPlot
from widgets.theme import CLASS_COLOURS, CLASS_SYMBOLS, DASH, DOT

HELP_TEXT = """
<p><b>What trains.</b> A student network (encoder, projector, predictor) sees one augmented view of
a sample and must predict the teacher's output for another view of the same sample. There are no
negative pairs: nothing in the loss says that two <i>different</i> samples must differ. So why
doesn't the student just output the same vector for everything? Three guards:</p>
<p><b>EMA teacher.</b> The teacher's weights are a slow moving average of the student's
(momentum slider). Off: the teacher <i>is</i> the student (that is SimSiam, if the stop-gradient is on).</p>
<p><b>Stop-gradient.</b> The teacher's output is treated as a fixed target. Off: the loss gradient
also flows through the teacher branch. With the EMA teacher on, the teacher's own weights then take
gradient steps too; with it off the teacher is the student, so both branches train the same
weights. Either way the loss can now be lowered by moving the target towards the prediction, and a
constant output makes it zero.</p>
<p><b>Predictor.</b> An extra layer on the student side only. Off: the student's projection is
compared with the teacher's directly. With no EMA (SimSiam), the predictor must learn fast enough:
BYOL App. I found a 10x predictor learning rate rescues it (slider).</p>
<p><b>What to watch.</b> The spread (the large plot): the std of the l2-normalised outputs per
dimension, times &radic;d. Outputs spread evenly over the sphere give 1 (1/&radic;d per dimension,
SimSiam Fig. 2); a collapse sends it to 0. The effective rank and the
singular values show <i>dimensional</i> collapse (a few directions left). kNN accuracy asks whether the
representation still tells the classes apart (labels are used only here, never for training).</p>
<p><b>The toy.</b> 8 classes in 6 content directions, 26 nuisance directions that every augmentation
draws afresh, mixed by a random rotation. Small MLPs, plain SGD, real gradients.</p>
"""


class BYOLPanel(SimulationPanel):
    PAGE_KEY = "byol"
    TITLE = "BYOL: collapse guards"
    PARAMS = BYOL_PARAMS
    FRESH_ONLY = {("predictor", False): "Predictor off on a trained network: measured, it stayed healthy "
                                        "for 3000 more steps (seeds 100-102); the collapse needs a young network."}

    # -- build ----------------------------------------------------------------------------
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        guards = QtWidgets.QGroupBox("Collapse guards")
        guards.setObjectName("guards")
        guard_layout = QtWidgets.QVBoxLayout(guards)
        for name in ("ema", "stop_gradient", "predictor"):
            self.add_check(guard_layout, name).setObjectName("guard")
        layout.addWidget(guards)
        settings = QtWidgets.QGroupBox("Training")
        settings_layout = QtWidgets.QVBoxLayout(settings)
        self.add_slider(settings_layout, "ema_momentum")
        self.add_slider(settings_layout, "predictor_lr_multiplier")
        self.add_slider(settings_layout, "learning_rate", minimum=1e-3, maximum=1.0)
        self.add_slider(settings_layout, "weight_decay", maximum=0.02)
        layout.addWidget(settings)
        self.add_help(layout, HELP_TEXT)

    def build_plots(self, grid: QtWidgets.QGridLayout) -> None:
        theme = self.theme
        # One unit for spread everywhere: std of z/|z| per dimension x √d, so 1/√d per dimension is 1.
        self.spread_plot = MetricPlot("Spread", "spread", theme)  # the dashed line at 1 says what 1 means
        self.spread_plot.setToolTip("std of z/|z| per dimension × √d: 1 when the outputs fill the sphere "
                                    "evenly (1/√d per dimension, SimSiam Fig. 2), 0 when every input gets "
                                    "the same output.")
        self.spread_plot.add_curve("spread", "", theme.primary)
        self.spread_reference = self.spread_plot.add_reference(1.0, "1 = isotropic (1/√d per dim)", DASH)
        self.spread_plot.add_reference(0.0, "0: collapsed", DOT, theme.collapsed)
        self.loss_plot = MetricPlot("Loss", "2 − 2 cos", theme)
        self.loss_plot.add_curve("loss", "", theme.primary)
        # It sits in a narrow column beside the hero: short words, the full name in the tooltip.
        self.rank_plot = MetricPlot("Rank", "effective rank", theme)
        self.rank_plot.setToolTip("Effective rank (RankMe) of the outputs: how many directions they "
                                  "really use; 1 means every output lies on one line.")
        self.rank_plot.add_curve("rank", "", theme.primary)
        self.rank_plot.add_reference(1.0, "1: one axis", DOT, theme.collapsed)
        self.knn_plot = MetricPlot("kNN accuracy", "accuracy", theme)
        self.knn_plot.add_curve("knn", "", theme.primary)
        self.knn_plot.add_reference(1 / 8, "chance (1/8)", DASH)
        self.knn_plot.setYRange(0, 1.02, padding=0)
        self.spectrum_plot = MetricPlot("Spectrum", "singular value", theme, x_label="index")
        self.spectrum_plot.getPlotItem().setLogMode(y=True)
        self.spectrum_curve = self.spectrum_plot.add_curve("spectrum", "", theme.secondary)
        self.spectrum_curve.setSymbol("o")
        self.spectrum_plot.setYRange(-4, 1.5, padding=0)
        # Index ticks every 8: at zoom 1 the plot is too narrow for "5 10 15" not to run together.
        self.spectrum_plot.getPlotItem().getAxis("bottom").setTickSpacing(major=8, minor=4)
        self.embedding_plot = MetricPlot("Outputs now", "", theme, x_label="2-D view of z/|z|")
        self.embedding_plot.setAspectLocked(True)
        self.embedding_plot.getPlotItem().showGrid(x=False, y=False)
        self.embedding_plot.setRange(xRange=(-1.05, 1.05), yRange=(-1.05, 1.05), padding=0)
        self.embedding_plot.getPlotItem().getAxis("left").setStyle(showValues=False)
        self.embedding_plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
        circle = QtWidgets.QGraphicsEllipseItem(-1, -1, 2, 2)
        circle.setPen(pg.mkPen(theme.reference, width=1, style=DOT))
        self.embedding_plot.addItem(circle)
        self.embedding_points = pg.ScatterPlotItem(size=7, pen=None)
        self.embedding_plot.addItem(self.embedding_points)
        self._embedding_style: tuple | None = None
        # One brush per class, kept: the scatter's symbol atlas caches by brush object, so fresh
        # brushes would make it draw every point's symbol again on every frame.
        self._class_brushes = [pg.mkBrush(colour) for colour in CLASS_COLOURS]
        self.plots = [self.spread_plot, self.loss_plot, self.rank_plot,
                      self.spectrum_plot, self.knn_plot, self.embedding_plot]
        # One hero: the spread large, the 2-D outputs beside it, the rest in a smaller bottom row.
        grid.addWidget(self.spread_plot, 0, 0, 2, 2)
        grid.addWidget(self.embedding_plot, 0, 2)
        grid.addWidget(self.rank_plot, 1, 2)
        for column, plot in enumerate((self.loss_plot, self.knn_plot, self.spectrum_plot)):
            grid.addWidget(plot, 2, column)
        set_hero_stretch(grid)
        self.secondary_plots = [self.loss_plot, self.knn_plot, self.spectrum_plot, self.rank_plot,
                                self.embedding_plot]

    def build_diagram(self) -> BYOLDiagram:
        # The checkboxes are the one source of truth: a click on a guard moves its checkbox (as
        # its key does), and the diagram redraws from the checkbox's every change.
        diagram = BYOLDiagram()
        for name in GUARDS:
            self.controls[name].value_shown.connect(diagram.set_guard)
            diagram.set_guard(name, self.controls[name].isChecked())
        self.controls["ema_momentum"].value_shown.connect(lambda _, value: diagram.set_ema_momentum(value))
        diagram.set_ema_momentum(self.controls["ema_momentum"].value())
        diagram.region_clicked.connect(self._on_diagram_clicked)
        return diagram

    def _on_diagram_clicked(self, name: str) -> None:
        if name in GUARDS:
            self.apply_param(name, not self.controls[name].isChecked())

    # -- draw -----------------------------------------------------------------------------
    def caption_text(self, params: dict) -> str:
        return describe_guards(params)

    def draw(self, snapshot: dict) -> None:
        history = snapshot["history"]
        steps = history["step"]
        dim = snapshot["dim"]
        spread_history = spread(history["std_normalized"], dim)
        self.spread_plot.set_curve("spread", steps, spread_history)
        self.spread_plot.setYRange(0, 1.25 * max(1.0, float(np.max(spread_history, initial=0))), padding=0)
        # Step 0 has no training loss yet.
        finite = np.isfinite(history["loss"])
        self.loss_plot.set_curve("loss", steps[finite], history["loss"][finite])
        self.rank_plot.set_curve("rank", steps, history["effective_rank"])
        self.rank_plot.setYRange(0, dim * 0.75, padding=0)
        self.knn_plot.set_curve("knn", steps, history["knn_accuracy"])
        values = np.maximum(snapshot["singular_values"], 1e-4)
        self.spectrum_curve.setData(np.arange(1, len(values) + 1), values)
        self._draw_embedding(snapshot["embedding_2d"], snapshot["labels"])
        self.diagram.show_snapshot(snapshot)

    def draw_ghost(self, ghost: dict | None) -> None:
        if ghost is None:
            self.spread_plot.set_ghost(None, None)
            return
        history = ghost["history"]
        self.spread_plot.set_ghost(history["step"], spread(history["std_normalized"], ghost["dim"]), ghost["label"])

    def _draw_embedding(self, points: np.ndarray, labels: np.ndarray) -> None:
        # Per-point style lists are built once per label set: rebuilding them each frame is costly.
        key = labels.tobytes()
        if self._embedding_style is None or self._embedding_style[0] != key:
            brushes = [self._class_brushes[label % len(CLASS_COLOURS)] for label in labels]
            symbols = [CLASS_SYMBOLS[label % len(CLASS_SYMBOLS)] for label in labels]
            self._embedding_style = (key, brushes, symbols)
        _, brushes, symbols = self._embedding_style
        self.embedding_points.setData(points[:, 0], points[:, 1], brush=brushes, symbol=symbols,
                                      size=7 * self.zoom)

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        latest = snapshot["latest"]
        words, kind = headline(snapshot["verdict"], "byol")
        value = spread(latest["std_normalized"], snapshot["dim"])
        detail = (f"spread {value:.2f} (1 = isotropic) · effective rank {latest['effective_rank']:.1f} · "
                  f"kNN {latest['knn_accuracy']:.0%} · step {snapshot['step']}")
        return words, kind, detail
