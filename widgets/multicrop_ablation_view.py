"""The Ablations page's "Multi-crop locals" tab: the toy's DINO Table 8, trained live.

Six multi-crop DINO runs (engine.locals_ablation: 0, 2, 4, 6, 8, 10 local crops, same seed and
photos) drawn as one curve each of part-to-whole accuracy over the steps, on a sequential colour
ramp (more local crops, further along it), with the shared step-0 level and chance; beside the plot
a legend with each run's accuracy now, step 0 and chance (inside the plot it hid the curves' ends);
under it, in two lines, what to notice. Reads: build, look, draw.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from engine.locals_ablation import LOCALS
from widgets.plots import MetricPlot
from widgets.theme import BASE_FONT_PT, DASH, DOT, LIGHT, Theme

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


# What to notice, short enough for two lines at presenter zoom (the help panel says more).
# The toy's part is measured (README "Multi-crop", held-out seeds 100-109, 1000 steps).
NOTICE = ("<b>Notice:</b> only the number of local crops differs. DINO Table 8: 67.8 → 74.6 % top-1 "
          "with 10 extra crops. This toy: any locals beat none (10 of 10 seeds); more than 2 did not help further.")


class MulticropAblationView(QtWidgets.QWidget):
    """Part-to-whole accuracy of the six runs, their values now, and the words."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = theme, 1.0
        self.colours = ramp_colours(theme)  # one a run, 0 locals first; computed once a theme
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        self.plot = MetricPlot("Part-to-whole accuracy", "accuracy", theme)
        self.plot.setObjectName("locals_ablation_plot")
        for num_local, colour in zip(LOCALS, self.colours):
            self.plot.add_curve(run_name(num_local), "", colour, DASH if num_local == 0 else QtCore.Qt.SolidLine)
        self.start_line = self.plot.add_reference(0.5, "step 0", DOT)
        self.start_line.label.anchors = [(0, 0), (0, 0)]  # under its line: the curves run above it
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
        self.colours = ramp_colours(theme)
        for num_local, colour in zip(LOCALS, self.colours):
            self.plot.set_curve_style(run_name(num_local), colour)
        self.plot.set_reference_colour(self.start_line, theme.reference)
        self.plot.set_reference_colour(self.chance_line, theme.collapsed)
        self.plot.apply_style(theme, zoom)
        # The legend and the words stop growing past zoom 1.2: at zoom 2 they took half the width and
        # four lines, leaving the plot a sliver; the plot's own text still follows the zoom.
        words = f"font-size: {BASE_FONT_PT * min(zoom, 1.2):.1f}pt"  # the app's style sheet sets the size
        self.legend.setStyleSheet(words)
        self.notice.setStyleSheet(words)
        self.set_snapshot(self.snapshot)

    # -- draw -----------------------------------------------------------------------------
    def set_snapshot(self, snapshot: dict | None) -> None:
        """Draw the locals ablation's snapshot (None: not started, the photos are being read)."""
        self.snapshot = snapshot
        self.legend.setText(self.legend_text(snapshot))
        if snapshot is None:
            return
        for run in snapshot["runs"]:
            self.plot.set_curve(run_name(run["num_local"]), run["steps"], run["part_whole_accuracy"])
        self.start_line.setValue(snapshot["runs"][0]["start"])
        self.chance_line.setValue(snapshot["chance"])

    def legend_text(self, snapshot: dict | None) -> str:
        """One row a run, most local crops on top: its line's colour and style, name and accuracy now
        (the step-0 level and chance are labelled on their lines and in the page's detail line)."""
        rows = []
        runs = snapshot["runs"] if snapshot is not None else [{"num_local": n} for n in LOCALS]
        for run, colour in reversed(list(zip(runs, self.colours))):
            sample = "╍╍" if run["num_local"] == 0 else "━━"
            value = ""
            if "latest" in run:
                value = "diverged" if run["diverged_at_step"] is not None else f"{run['latest']:.2f}"
            rows.append(f"<tr><td style='color:{colour}'><b>{sample}</b></td><td>&nbsp;{run_name(run['num_local'])}"
                        f"</td><td align='right'>&nbsp;<b>{value}</b></td></tr>")
        return "<table cellspacing='2'>" + "".join(rows) + "</table>"


def multicrop_live_state(snapshot: dict | None) -> tuple[str, str, str]:
    """The page's headline, its kind and the detail line for the locals ablation (each run's value
    is in the legend)."""
    if snapshot is None:
        return "MULTI-CROP LOCALS: reading the photos", "untrained", ""
    runs = snapshot["runs"]
    latest = [run["latest"] for run in runs]
    step, steps = snapshot["step"], snapshot["steps"]
    detail = (f"step {step} of {steps} · seed {snapshot['seed']} · step 0 {runs[0]['start']:.0%} · "
              f"chance {snapshot['chance']:.0%} ({snapshot['num_images']} photos)")
    if step == 0:
        return f"MULTI-CROP LOCALS: Play trains 6 runs for {steps} steps", "untrained", detail
    gain = (latest[-1] - latest[0]) * 100
    if not snapshot["finished"]:
        return f"10 vs 0 LOCALS: {gain:+.0f} points (step {step})", "filling", detail
    # Said as measured on this run: the toy's accuracy need not rise with every 2 extra locals.
    rising = all(b > a for a, b in zip(latest, latest[1:]))
    beat = sum(value > latest[0] for value in latest[1:])
    detail += (" · rises with every 2 extra locals" if rising else
               f" · {beat} of {len(latest) - 1} runs with locals beat 0 locals; not rising at every step")
    return (f"DONE: 10 vs 0 LOCALS {gain:+.0f} points (DINO: +6.8 top-1)",
            "healthy" if gain > 0 else "disagree", detail)
