"""The DINO page: two opposing forces, centering and sharpening, and the prototype usage they
balance. Reads top to bottom: build the controls, build the plots, draw a snapshot."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from engine.dino import DINO_PARAMS
from engine.verdicts import headline
from widgets.diagrams.dino_diagram import DINODiagram
from widgets.panel_base import SimulationPanel, set_hero_stretch
from widgets.plots import MetricPlot
from widgets.theme import DASH, DOT

HELP_TEXT = """
<p><b>What trains.</b> Student and teacher each turn a view of a sample into a probability
distribution over K learned <i>prototypes</i>. The student learns to give, for one view, the
distribution the teacher gives for another view of the same sample. The teacher is a moving average
of the student and gets no gradient. Two trivial answers would make the loss small, and one force
stops each:</p>
<p><b>Centering</b> subtracts a running mean of the teacher's outputs before its softmax. A prototype
that wins for every sample is pushed down, so no single prototype can take over. On its own it
pushes towards the <i>uniform</i> answer: every prototype equally likely for every sample.</p>
<p><b>Sharpening</b> uses a low teacher temperature (0.04, below the student's 0.1): the teacher's
targets are more confident than the student, which stops the uniform answer. On its own it lets one
prototype win everything.</p>
<p>Together they balance: each sample is confidently assigned (low teacher entropy), and the samples
use many prototypes (high entropy of the batch-mean distribution). In both collapses the teacher
becomes easy to match and KL(teacher&nbsp;||&nbsp;student) falls to about 0 (DINO Fig. 7).</p>
<p><b>Try.</b> Switch centering off (C) and press Reset (R): one prototype dominates. (Switched
off late in a healthy run, the established prototypes mostly hold: the collapse needs a young
network.) Raise the teacher temperature
(Up) past the student's: uniform. DINO App. D: centre momentum 0.999 or teacher temperature 0.08
collapsed ImageNet training.</p>
"""


def describe_forces(params: dict) -> str:
    """The two forces in words, and what the paper says their setting leads to."""
    teacher, student = params["teacher_temperature"], params["student_temperature"]
    sharpening = teacher < student
    centering = params["centering"]
    settings = (f"centering {'on' if centering else 'OFF'}"
                + (f" (momentum {params['center_momentum']:g})" if centering else "")
                + f" · teacher temperature {teacher:g} vs student {student:g}"
                + (f" (sharpening ×{student / teacher:.2g})" if sharpening else " (NO sharpening)"))
    if centering and sharpening:
        consequence = ("both forces: centering spreads samples over prototypes, sharpening makes "
                       "each assignment confident (DINO Fig. 7)")
        if params["center_momentum"] >= 0.99:
            consequence += "; a centre this slow lags behind (DINO App. D: 0.999 collapsed)"
    elif sharpening:
        consequence = "sharpening only: nothing stops one prototype from winning every sample (DINO Fig. 7)"
    elif centering:
        consequence = "centering only: nothing sharpens, the teacher's output flattens to uniform (DINO Fig. 7)"
    else:
        consequence = "neither force: nothing is balanced; watch which collapse wins"
    return f"{settings}  →  {consequence}"


class DINOPanel(SimulationPanel):
    PAGE_KEY = "dino"
    TITLE = "DINO: centering and sharpening"
    PARAMS = DINO_PARAMS
    FRESH_ONLY = {("centering", False): "Centering off on a trained network: measured, it did nothing for "
                                        "2000 steps; the established prototypes hold."}

    # -- build ----------------------------------------------------------------------------
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        forces = QtWidgets.QGroupBox("Two forces")
        forces_layout = QtWidgets.QVBoxLayout(forces)
        self.add_check(forces_layout, "centering").setObjectName("switch")
        self.add_slider(forces_layout, "center_momentum")
        student_default = self.specs["student_temperature"].default
        self.add_slider(forces_layout, "teacher_temperature", marks=(0.04, 0.07, student_default))
        self.add_slider(forces_layout, "student_temperature")
        layout.addWidget(forces)
        warmup = QtWidgets.QGroupBox("Teacher warm-up")
        warmup.setToolTip("DINO warms the teacher temperature up linearly from 0.04 to 0.07 (main_dino.py)")
        warmup_layout = QtWidgets.QVBoxLayout(warmup)
        self.add_check(warmup_layout, "teacher_temperature_warmup").setText("Warm up linearly")
        # Short names inside the box (its title says whose warm-up): the column stays narrow at high zoom.
        self.add_slider(warmup_layout, "warmup_start_temperature").label.setText("Start temperature")
        self.add_slider(warmup_layout, "warmup_steps", maximum=3000)
        layout.addWidget(warmup)
        training = QtWidgets.QGroupBox("Training")
        training_layout = QtWidgets.QVBoxLayout(training)
        self.add_slider(training_layout, "ema_momentum")
        self.add_slider(training_layout, "num_prototypes", maximum=64)
        self.add_slider(training_layout, "learning_rate", minimum=1e-3, maximum=1.0)
        self.add_slider(training_layout, "weight_decay", maximum=0.02)
        self.add_slider(training_layout, "chosen_sample")
        layout.addWidget(training)
        self.add_help(layout, HELP_TEXT)

    def build_plots(self, grid: QtWidgets.QGridLayout) -> None:
        theme = self.theme
        # A short axis label: a long one is clipped at presenter zoom; the tooltip says the rest.
        self.usage_plot = MetricPlot("Prototype usage", "probability", theme, x_label="prototype")
        self.usage_plot.setToolTip("The teacher's probabilities averaged over the batch: how much each "
                                   "prototype is used. 1/K each when all are used equally.")
        self.usage_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=theme.primary, pen=None)
        self.usage_plot.addItem(self.usage_bars)
        self.uniform_line = self.usage_plot.add_reference(1 / 16, "uniform 1/K", DASH)
        self.sample_plot = MetricPlot("One sample", "probability", theme, x_label="prototype")
        self.teacher_bars = pg.BarGraphItem(x=[], height=[], width=0.4, brush=theme.primary, pen=None, name="teacher")
        self.student_bars = pg.BarGraphItem(x=[], height=[], width=0.4, brush=theme.secondary,
                                            pen=pg.mkPen(theme.secondary), name="student")
        self.sample_plot.addItem(self.teacher_bars)
        self.sample_plot.addItem(self.student_bars)
        # Teacher and student are named in the title, in their colours: a legend covered the bars.
        self.sample_plot.setYRange(0, 1.02, padding=0)
        self.center_plot = MetricPlot("Centre vector", "centre", theme, x_label="prototype")
        self.center_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=theme.muted, pen=None)
        self.center_plot.addItem(self.center_bars)
        self.entropy_plot = MetricPlot("Teacher entropy", "nats", theme)
        self.entropy_plot.add_curve("teacher_entropy", "", theme.primary)
        self.entropy_log_k = self.entropy_plot.add_reference(math.log(16), "log K: uniform", DASH)
        self.entropy_plot.add_reference(0.0, "0: one-hot", DOT, theme.collapsed)
        self.usage_entropy_plot = MetricPlot("Usage entropy", "nats", theme)
        self.usage_entropy_plot.add_curve("usage_entropy", "", theme.primary)
        self.usage_log_k = self.usage_entropy_plot.add_reference(math.log(16), "log K: all used", DASH)
        self.usage_entropy_plot.add_reference(0.0, "0: one prototype", DOT, theme.collapsed)
        # Short: the bottom row's plots are narrow at zoom 1; the notation is in the tooltip.
        self.kl_plot = MetricPlot("KL divergence", "nats", theme)
        self.kl_plot.setToolTip("KL(teacher‖student): how far the student's distribution still is from "
                                "the teacher's, averaged over the batch; 0 when there is nothing left to learn.")
        self.kl_plot.add_curve("kl", "", theme.secondary)
        self.kl_plot.add_reference(0.0, "0: nothing to learn", DOT, theme.collapsed)
        self.plots = [self.usage_plot, self.sample_plot, self.center_plot,
                      self.entropy_plot, self.usage_entropy_plot, self.kl_plot]
        # One hero: prototype usage large on a fixed 0-1 axis; the rest beside and below, smaller.
        grid.addWidget(self.usage_plot, 0, 0, 2, 2)
        grid.addWidget(self.sample_plot, 0, 2)
        grid.addWidget(self.entropy_plot, 1, 2)
        for column, plot in enumerate((self.usage_entropy_plot, self.kl_plot, self.center_plot)):
            grid.addWidget(plot, 2, column)
        set_hero_stretch(grid)
        self.secondary_plots = [self.usage_entropy_plot, self.kl_plot, self.center_plot, self.sample_plot,
                                self.entropy_plot]

    def build_diagram(self) -> DINODiagram:
        # The controls are the one source of truth: the diagram moves them (as the keys do) and
        # redraws from their every change.
        diagram = DINODiagram()
        for name in ("centering", "teacher_temperature", "student_temperature", "center_momentum"):
            control = self.controls[name]
            control.value_shown.connect(diagram.set_param)
            diagram.set_param(name, control.isChecked() if name == "centering" else control.value())
        diagram.region_clicked.connect(self._on_diagram_clicked)
        diagram.region_wheeled.connect(self._on_diagram_wheeled)
        return diagram

    def _on_diagram_clicked(self, region: str) -> None:
        if region == "centering":
            self.apply_param("centering", not self.controls["centering"].isChecked())
        elif region.endswith((":up", ":down")):
            name, direction = region.split(":")
            self.nudge_param(name, +1 if direction == "up" else -1)

    def _on_diagram_wheeled(self, region: str, direction: int) -> None:
        name = region.split(":")[0]
        if name in ("teacher_temperature", "student_temperature"):
            self.nudge_param(name, direction)

    # -- draw -----------------------------------------------------------------------------
    def caption_text(self, params: dict) -> str:
        return describe_forces(params)

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        latest = snapshot["latest"]
        verdict = snapshot["verdict"]
        log_k = snapshot["log_k"]
        detail = (f"teacher entropy {latest['teacher_entropy']:.2f} · usage entropy "
                  f"{latest['usage_entropy']:.2f} of log K = {log_k:.2f} · KL {latest['kl_teacher_student']:.3f}"
                  f" · teacher T now {snapshot['teacher_temperature_now']:.3g} · step {snapshot['step']}")
        words, kind = headline(verdict, "dino")
        return words, kind, detail

    def draw_ghost(self, ghost: dict | None) -> None:
        history = ghost["history"] if ghost else {}
        self.entropy_plot.set_ghost(history.get("step"), history.get("teacher_entropy"), ghost["label"] if ghost else "")
        self.usage_entropy_plot.set_ghost(history.get("step"), history.get("usage_entropy"),
                                          ghost["label"] if ghost else "")

    def draw(self, snapshot: dict) -> None:
        num_prototypes = snapshot["num_prototypes"]
        log_k = snapshot["log_k"]
        index = np.arange(num_prototypes)
        self.usage_bars.setOpts(x=index, height=snapshot["prototype_usage"], brush=self.theme.primary)
        self.uniform_line.setValue(1 / num_prototypes)
        # A fixed 0-1 axis: a uniform collapse (every bar at 1/K) must look flat, not full.
        self.usage_plot.setYRange(0, 1.02, padding=0)
        self.usage_plot.setXRange(-0.6, num_prototypes - 0.4, padding=0)
        self.teacher_bars.setOpts(x=index - 0.2, height=snapshot["teacher_distribution"], brush=self.theme.primary)
        self.student_bars.setOpts(x=index + 0.2, height=snapshot["student_distribution"],
                                  brush=pg.mkBrush(self.theme.secondary), pen=pg.mkPen(self.theme.secondary))
        self.sample_plot.setXRange(-0.6, num_prototypes - 0.4, padding=0)
        self.sample_plot.getPlotItem().setTitle(
            f"<span style='color:{self.theme.primary}'>Teacher</span> vs "
            f"<span style='color:{self.theme.secondary}'>student</span>", color=self.theme.foreground,
            size=f"{round(13 * self.zoom)}pt", bold=True)  # a notch smaller: it fills a narrow column
        self.sample_plot.getPlotItem().setLabel(
            "bottom", f"sample {snapshot['params']['chosen_sample']}, class {snapshot['chosen_label']}",
            color=self.theme.foreground, **{"font-size": f"{round(13 * self.zoom)}pt"})
        centering = snapshot["params"]["centering"]
        # With centering off the centre is still tracked but not used: it is not drawn.
        self.center_bars.setOpts(x=index, height=snapshot["center"] if centering else np.zeros(num_prototypes),
                                 brush=self.theme.muted)
        self.center_plot.getPlotItem().setTitle(
            "Centre vector" if centering else "Centre vector (centering OFF: not used)",
            color=self.theme.foreground, size=f"{round(13 * 1.15 * self.zoom)}pt", bold=True)
        self.center_plot.setXRange(-0.6, num_prototypes - 0.4, padding=0)
        history = snapshot["history"]
        steps = history["step"]
        self.entropy_plot.set_curve("teacher_entropy", steps, history["teacher_entropy"])
        self.entropy_log_k.setValue(log_k)
        self.entropy_plot.set_y_range_above(0, self.entropy_log_k)
        self.usage_entropy_plot.set_curve("usage_entropy", steps, history["usage_entropy"])
        self.usage_log_k.setValue(log_k)
        self.usage_entropy_plot.set_y_range_above(0, self.usage_log_k)
        finite = np.isfinite(history["kl_teacher_student"])
        self.kl_plot.set_curve("kl", steps[finite], history["kl_teacher_student"][finite])
        self.diagram.show_snapshot(snapshot)
