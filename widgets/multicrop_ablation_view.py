"""The Ablations page's "Multi-crop locals" tab: the toy's DINO Table 8, trained live.

Six multi-crop DINO runs (engine.locals_ablation: 0, 2, 4, 6, 8, 10 local crops, same seed and
photos) drawn as one curve each of part-to-whole accuracy over the steps, on a sequential colour
ramp (more local crops, further along it), with the shared step-0 level and chance; beside the plot
a legend with each run's accuracy now (inside the plot it hid the curves' ends), under it the step,
step 0 and chance, and what to notice. Reads: build, look, draw.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from engine.locals_ablation import LOCALS
from widgets.plots import MetricPlot
from widgets.theme import DASH, DOT, LIGHT, Theme

# Where on viridis (colour-blind safe, sequential) the runs sit, 0 locals first: darkening on a light
# background, brightening on a dark one, so the 10-locals curve is the most visible in both.
RAMP = {"light": (0.8, 0.0), "dark": (0.3, 1.0)}


def ramp_colours(theme: Theme) -> list[str]:
    """One colour a run, 0 locals first."""
    start, end = RAMP.get(theme.name, RAMP["light"])
    colormap = pg.colormap.get("viridis")
    return [colormap.map(float(t), mode="qcolor").name() for t in np.linspace(start, end, len(LOCALS))]


def run_name(num_local: int) -> str:
    return "0 locals (twin)" if num_local == 0 else f"{num_local} locals"


NOTICE = ("<b>What to notice:</b> every run starts from the same network and sees the same two global "
          "crops of the same photos each step; the only difference is how many small local crops the "
          "student also learns to map to the teacher's view of the whole. More local crops should mean "
          "more fragments that find their own photo. DINO, Table 8: 2 global 224-px crops 67.8 % → "
          "74.6 % ImageNet top-1 with 10 extra 96-px crops (100 epochs).")


class MulticropAblationView(QtWidgets.QWidget):
    """Part-to-whole accuracy of the six runs, their values now, and the words."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = theme, 1.0
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        self.plot = MetricPlot("Part-to-whole accuracy by number of local crops", "accuracy", theme)
        self.plot.setObjectName("locals_ablation_plot")
        for num_local, colour in zip(LOCALS, ramp_colours(theme)):
            self.plot.add_curve(run_name(num_local), "", colour, DASH if num_local == 0 else QtCore.Qt.SolidLine)
        self.start_line = self.plot.add_reference(0.5, "step 0", DOT)
        self.chance_line = self.plot.add_reference(0.07, "chance", DOT, theme.collapsed)
        self.plot.setYRange(0, 1, padding=0)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.plot, 1)
        self.legend = QtWidgets.QLabel()
        self.legend.setObjectName("locals_ablation_legend")
        self.legend.setTextFormat(QtCore.Qt.RichText)
        self.legend.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        row.addWidget(self.legend)
        layout.addLayout(row, 1)
        self.values = QtWidgets.QLabel()
        self.values.setObjectName("locals_ablation_values")
        self.values.setWordWrap(True)
        self.values.setTextFormat(QtCore.Qt.RichText)
        layout.addWidget(self.values)
        self.notice = QtWidgets.QLabel(NOTICE)
        self.notice.setObjectName("locals_ablation_notice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(QtCore.Qt.RichText)
        layout.addWidget(self.notice)
        self.snapshot: dict | None = None
        self.set_snapshot(None)

    # -- look -----------------------------------------------------------------------------
    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        for num_local, colour in zip(LOCALS, ramp_colours(theme)):
            curve, _, style = self.plot._curves[run_name(num_local)]
            self.plot._curves[run_name(num_local)] = (curve, colour, style)
        self.chance_line.label.setColor(theme.collapsed)
        self.plot._references[1] = (self.chance_line, theme.collapsed)
        self.plot._references[0] = (self.start_line, theme.reference)
        self.plot.apply_style(theme, zoom)
        self.set_snapshot(self.snapshot)

    # -- draw -----------------------------------------------------------------------------
    def set_snapshot(self, snapshot: dict | None) -> None:
        """Draw the locals ablation's snapshot (None: not started, the photos are being read)."""
        self.snapshot = snapshot
        self.legend.setText(self.legend_text(snapshot))
        if snapshot is None:
            self.values.setText("The six runs start when this tab is shown (the photos are read first).")
            return
        for run in snapshot["runs"]:
            self.plot.set_curve(run_name(run["num_local"]), run["steps"], run["part_whole_accuracy"])
        self.start_line.setValue(snapshot["runs"][0]["start"])
        self.chance_line.setValue(snapshot["chance"])
        self.values.setText(self.values_text(snapshot))

    def legend_text(self, snapshot: dict | None) -> str:
        """One row a run, most local crops on top: its line's colour and style, name and accuracy now."""
        rows = []
        runs = snapshot["runs"] if snapshot is not None else [{"num_local": n} for n in LOCALS]
        for run, colour in reversed(list(zip(runs, ramp_colours(self.theme)))):
            sample = "╍╍" if run["num_local"] == 0 else "━━"
            value = ""
            if "latest" in run:
                value = "diverged" if run["diverged_at_step"] is not None else f"{run['latest']:.2f}"
            rows.append(f"<tr><td style='color:{colour}'><b>{sample}</b></td><td>&nbsp;{run_name(run['num_local'])}"
                        f"</td><td align='right'>&nbsp;<b>{value}</b></td></tr>")
        return "<table cellspacing='2'>" + "".join(rows) + "</table>"

    def values_text(self, snapshot: dict) -> str:
        """The step, the shared step-0 level and chance (each run's value is in the legend)."""
        return (f"<b>Step {snapshot['step']} of {snapshot['steps']}</b> (seed {snapshot['seed']}) · "
                f"accuracy now: beside the plot · at step 0: {snapshot['runs'][0]['start']:.2f} (the same "
                f"network for all six) · chance: {snapshot['chance']:.2f} (1 of {snapshot['num_images']} photos)"
                + (f"<br>{html.escape(snapshot['divergence_reason'])}" if snapshot["divergence_reason"] else ""))


def multicrop_live_state(snapshot: dict | None) -> tuple[str, str, str]:
    """The page's headline, its kind and the detail line for the locals ablation."""
    if snapshot is None:
        return "MULTI-CROP LOCALS: reading the photos", "untrained", ""
    runs = snapshot["runs"]
    latest = [run["latest"] for run in runs]
    detail = (" · ".join(f"{run['num_local']} locals {run['latest']:.0%}" for run in runs)
              + f" · step 0 {runs[0]['start']:.0%} · chance {snapshot['chance']:.0%} · seed {snapshot['seed']}")
    step, steps = snapshot["step"], snapshot["steps"]
    if step == 0:
        return f"MULTI-CROP LOCALS: press Play to train 6 runs for {steps} steps", "untrained", detail
    gain = (latest[-1] - latest[0]) * 100
    if not snapshot["finished"]:
        return (f"MULTI-CROP LOCALS, step {step} of {steps}: 10 locals {gain:+.0f} points over 0 locals",
                "filling", detail)
    # The ordering is stated as measured on this run: the toy's curve need not rise at every step.
    rising = all(b > a for a, b in zip(latest, latest[1:]))
    beat = sum(value > latest[0] for value in latest[1:])
    detail += (f" · every extra 2 locals helped" if rising else
               f" · {beat} of {len(latest) - 1} runs with local crops beat 0 locals; not rising at every step")
    kind = "healthy" if gain > 0 else "disagree"
    return (f"LOCALS ABLATION COMPLETE: 10 locals {gain:+.0f} points over 0 locals (DINO Table 8: +6.8)",
            kind, detail)
