"""What every training page shares: a caption line, a control column with the transport bar,
a grid of plots, and the wiring to an engine controller.

A page subclass builds its own controls and plots and draws snapshots; it never touches the
simulation, only sends parameter changes and commands through the controller.
"""
from __future__ import annotations

import html
import math
import re
from typing import Protocol, runtime_checkable

from PySide6 import QtCore, QtGui, QtWidgets

from engine.params import ParamSpec, spec_table
from widgets.control_column import ControlColumn, HideableControl
from widgets.controls import ParamCheck, ParamSlider, TransportBar
from widgets.lesson_strip import page_words
from widgets.steady_label import steady_label
from widgets.theme import BASE_FONT_PT, LIGHT, Theme


@runtime_checkable
class Panel(Protocol):
    """What the main window needs from a page's panel (every page, training or not)."""

    controls: dict  # the switches and sliders by parameter name (the Switches menu's keys reach them)
    plots: list  # export targets of File > Export plots
    snapshot: dict | None  # the last drawn snapshot (its "history" is File > Export history)
    control_scroll: QtWidgets.QScrollArea  # the control column (its context menu hides controls)
    all_plots: QtWidgets.QCheckBox | None  # View > All plots ticks it; None: every plot at every zoom
    go_deeper: QtWidgets.QWidget | None  # the go-deeper card (G); None: the page has none

    def set_theme(self, theme: Theme, zoom: float) -> None: ...
    def apply_param(self, name: str, value: object) -> None: ...
    def nudge_param(self, name: str, direction: int) -> None: ...
    def reset_page(self) -> None: ...  # the R key
    def restart_with_settings(self) -> None: ...  # Shift+R
    def toggle_go_deeper(self) -> None: ...  # G
    # scenarios
    def apply_scenario(self, scenario) -> None: ...
    def scenario_params(self) -> dict: ...
    def scenario_caption(self) -> str: ...
    # hiding controls (widgets.control_column.ControlColumn)
    def hideable_controls(self) -> list[HideableControl]: ...
    def hidden_controls(self) -> set[str]: ...
    def set_hidden_controls(self, keys) -> None: ...
    def set_control_hidden(self, key: str, hidden: bool) -> None: ...
    def set_controls_visible(self, visible: bool) -> None: ...


MAX_KEPT = 240  # snapshots kept for the history scrubber (thinned as the run grows)
# From this presenter zoom only the hero plots are shown unless asked: with every plot, 1280x720
# windows grew to 745-773 px at 1.3, and DINO's to 749 px at 1.15 once its caption took 3 lines.
HERO_ONLY_ZOOM = 1.15
# From HERO_ONLY_ZOOM on 1280x720 the page keeps the window's size and its hero readable: the
# control column takes at most this share of the page's width (it scrolls), and a mechanism diagram
# beside the plots stays only while the hero keeps HERO_MIN_WIDTH_SHARE of the width.
COLUMN_SHARE_AT_HIGH_ZOOM = 0.38
HERO_MIN_WIDTH_SHARE = 0.4  # up to zoom 1.5 BYOL's and DINO's diagrams still fit beside the hero
# The base column's own controls: (full text, short text used from HERO_ONLY_ZOOM).
RESTART_TEXTS = ("Restart with these settings (Shift+R)", "Restart (Shift+R)")
LOG_STEPS_TEXTS = ("Log step axis (early steps)", "Log step axis")
ALL_PLOTS_TEXTS = ("All plots (at high zoom)", "All plots")
# From here the header keeps only the essentials: the caption's last line (the live numbers) and the
# key idea without its everyday picture (in the strip's tooltip).
ESSENTIALS_ONLY_ZOOM = 1.75
VERDICT_SCALE = 1.55  # the verdict's font over the body text's (desktop/style.py)
SMALLEST_VERDICT = 0.7  # at presenter zoom a long verdict shrinks this far to stay on one line


def plain_text(rich: str) -> str:
    """A line of the page's rich text as plain text (for eliding and tooltips)."""
    return html.unescape(re.sub(r"<[^>]+>", "", rich))


def set_hero_stretch(grid: QtWidgets.QGridLayout, others_shown: bool = True) -> None:
    """A 3x3 plot grid whose hero spans the top-left 2x2: the top rows get more of the height, the
    columns a third of the width each (the hero all of it when the other plots are hidden)."""
    last = 2 if others_shown else 0
    for index, stretch in enumerate((3, 3, last)):
        grid.setRowStretch(index, stretch)
    # The right column gets a third of the width: at 1280 px beside a diagram a quarter cut its
    # plots' titles ("Teacher entro").
    for index, stretch in enumerate((3, 3, 3 if others_shown else 0)):
        grid.setColumnStretch(index, stretch)


class SimulationPanel(ControlColumn, QtWidgets.QWidget):
    """Base class of the pages that train a simulation."""

    PAGE_KEY = ""
    TITLE = ""
    PARAMS: tuple[ParamSpec, ...] = ()
    # (parameter, value) -> why that change may not act on a trained network (measured, in words).
    FRESH_ONLY: dict[tuple[str, object], str] = {}
    TRAINED_STEPS = 300  # from here on a run counts as trained for FRESH_ONLY
    HISTORY_SCRUBBER = True  # a slider under the plots to look back through the run

    def __init__(self, controller, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.theme = theme
        self.zoom = 1.0
        self.specs = spec_table(self.PARAMS)
        self.controls: dict[str, ParamSlider | ParamCheck] = {}
        self.plots = []
        self.snapshot: dict | None = None
        self.scenario = None  # shown in the caption while the controls still match it
        self.help_box: QtWidgets.QGroupBox | None = None  # "How it works", if the page adds one

        # build
        # Both change every frame: steady labels keep that from re-laying out the window.
        self.caption, caption_holder = steady_label("caption")
        self.verdict, verdict_holder = steady_label("verdict")
        self._shown_verdict_style = ""
        self._headline_colour = ""
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.transport = TransportBar(self.specs["seed"])
        self.ghost: dict | None = None  # the run before the last reset: its history and settings
        self.restart_button = QtWidgets.QPushButton(RESTART_TEXTS[0])
        self.restart_button.setToolTip("Start again from step 0 with the same seed and the settings now "
                                       "on the controls; the run so far stays behind as a faint ghost")
        self.clear_ghost_button = QtWidgets.QPushButton("Clear ghost")
        self.clear_ghost_button.setToolTip("Remove the faint curves of the previous run")
        self.clear_ghost_button.hide()
        self.all_plots = QtWidgets.QCheckBox(ALL_PLOTS_TEXTS[0])
        self.all_plots.setToolTip(f"From zoom {HERO_ONLY_ZOOM:g} only the main plots are shown, so they "
                                  "stay large; tick to show the others and the mechanism diagram too")
        self.secondary_plots: list = []  # the pages' smaller plots, hidden at high zoom
        self.log_steps = QtWidgets.QCheckBox(LOG_STEPS_TEXTS[0])
        self.log_steps.setToolTip("Training steps on a log scale: a crash in the first 10 steps is as "
                                  "wide as the next 1000 (metrics are recorded at every step early on)")
        # The page's words (key idea, picture, go-deeper card) and its live mechanism diagram.
        self.lesson_strip, self.go_deeper, words_problem = page_words(self.PAGE_KEY, self)

        control_column = QtWidgets.QWidget()
        control_column.setObjectName("controls")
        self.control_layout = QtWidgets.QVBoxLayout(control_column)
        self.control_layout.addWidget(self.transport)
        self.control_layout.addWidget(self.restart_button)
        self.control_layout.addWidget(self.clear_ghost_button)
        self.control_layout.addWidget(self.log_steps)
        self.control_layout.addWidget(self.all_plots)
        self.build_controls(self.control_layout)
        self.control_layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(control_column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(290)
        scroll.setMaximumWidth(360)
        self.control_scroll = scroll

        plot_area = QtWidgets.QWidget()
        plot_column = QtWidgets.QVBoxLayout(plot_area)
        plot_column.setContentsMargins(0, 0, 0, 0)
        self.plot_grid = QtWidgets.QGridLayout()
        self.plot_grid.setContentsMargins(0, 0, 0, 0)
        self.plot_grid.setSpacing(6)
        self.build_plots(self.plot_grid)
        plot_column.addLayout(self.plot_grid, 1)
        # The history scrubber: drag back through the run; every plot shows the step dragged to.
        self.kept_snapshots: list[dict] = []
        self.scrub_index: int | None = None  # None: live
        self._resume_after_scrub = False
        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.scrubber.setToolTip("Drag back through the run: every plot shows that step. "
                                 "Training pauses while you look; Live resumes it from the end.")
        self.scrub_label = QtWidgets.QLabel("History: live")
        self.live_button = QtWidgets.QPushButton("Live")
        self.live_button.setEnabled(False)
        scrub_row = QtWidgets.QHBoxLayout()
        scrub_row.addWidget(self.scrub_label)
        scrub_row.addWidget(self.scrubber, 1)
        scrub_row.addWidget(self.live_button)
        if self.HISTORY_SCRUBBER:
            plot_column.addLayout(scrub_row)
        else:
            for widget in (self.scrub_label, self.scrubber, self.live_button):
                widget.setParent(self)
                widget.hide()
        # Only the pages with a hero and with changes that need a fresh network offer these.
        self.restart_button.setVisible(bool(self.FRESH_ONLY))
        self.diagram = self.build_diagram()
        self.all_plots.setVisible(bool(self.secondary_plots) or self.diagram is not None)
        self.caption_lines: list[str] = []  # the caption's lines (rich text), shown by show_caption

        body = QtWidgets.QHBoxLayout()
        body.addWidget(scroll)
        band = self.diagram is not None and not self.diagram.PORTRAIT
        if band:  # a landscape diagram (multi-crop's) is a band above the plots
            plot_column = QtWidgets.QVBoxLayout()
            plot_column.addWidget(self.diagram)
            plot_column.addWidget(plot_area, 1)
            body.addLayout(plot_column, 1)
        else:
            body.addWidget(plot_area, 1)
        if self.diagram is not None and not band:  # beside the plots: they keep the page's height
            body.addWidget(self.diagram)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        if self.lesson_strip is not None:
            outer.addWidget(self.lesson_strip)
        outer.addWidget(verdict_holder)
        outer.addWidget(caption_holder)
        outer.addWidget(self.message)
        outer.addLayout(body, 1)

        # wire
        self.transport.play_toggled.connect(self._on_play)
        self.transport.step_requested.connect(lambda: controller.step(1))
        self.transport.reset_requested.connect(self._reset_keeping_ghost)
        self.restart_button.clicked.connect(self.restart_with_settings)
        self.clear_ghost_button.clicked.connect(self.clear_ghost)
        self.log_steps.toggled.connect(self.set_log_steps)
        self.all_plots.toggled.connect(self.show_secondary_plots)
        self.scrubber.sliderMoved.connect(self.scrub_to)
        self.live_button.clicked.connect(self.go_live)
        self.transport.speed_changed.connect(controller.set_speed)
        controller.snapshot.connect(self.draw_snapshot)
        controller.message.connect(self.show_message)
        controller.running_changed.connect(self.transport.show_running)
        if self.lesson_strip is not None:
            self.lesson_strip.go_deeper_requested.connect(self.toggle_go_deeper)
        if words_problem:
            self.show_message(words_problem)

    # -- controls helpers -----------------------------------------------------------------
    def add_check(self, layout: QtWidgets.QLayout, name: str) -> ParamCheck:
        check = ParamCheck(self.specs[name])
        check.value_changed.connect(self.send_param)
        layout.addWidget(check)
        self.controls[name] = check
        return check

    def add_slider(self, layout: QtWidgets.QLayout, name: str, **options) -> ParamSlider:
        slider = ParamSlider(self.specs[name], **options)
        slider.value_changed.connect(self.send_param)
        layout.addWidget(slider)
        self.controls[name] = slider
        return slider

    def add_help(self, layout: QtWidgets.QLayout, text: str) -> None:
        """The page's "How it works" box at the foot of the control column."""
        self.help_box = QtWidgets.QGroupBox("How it works")
        help_layout = QtWidgets.QVBoxLayout(self.help_box)
        self.help_label = QtWidgets.QLabel(text)
        self.help_label.setWordWrap(True)
        self.help_label.setObjectName("help")
        help_layout.addWidget(self.help_label)
        layout.addWidget(self.help_box)

    def apply_param(self, name: str, value: object) -> None:
        """Set a control to ``value`` and send it to the engine, as if the user had moved it."""
        self.controls[name].set_value(value)
        self.send_param(name, value)

    def nudge_param(self, name: str, direction: int) -> None:
        """Move a slider one notch (a factor of 1.25 on a log scale, 1/20 of the range otherwise)."""
        slider = self.controls[name]
        value = slider.value()
        if slider.log_scale:
            value *= 1.25 ** direction
        else:
            value += direction * (slider.maximum - slider.minimum) / 20
        value = min(max(value, slider.minimum), slider.maximum)
        value = int(round(value)) if slider.spec.kind is int else float(f"{value:.3g}")
        self.apply_param(name, value)

    def hideable_controls(self) -> list[HideableControl]:
        """The column's controls for View > Controls on this page: the transport, each switch and
        slider, the help box."""
        controls = [HideableControl("transport", "Play, step, reset, seed, speed", (self.transport,))]
        controls += [HideableControl(name, control.spec.label, (control,)) for name, control in self.controls.items()]
        if self.help_box is not None:
            controls.append(HideableControl("help", "How it works", (self.help_box,)))
        if self.lesson_strip is not None:
            controls.append(HideableControl("lesson_strip", "Key idea and picture", (self.lesson_strip,), False))
        if self.diagram is not None:
            controls.append(HideableControl("diagram", "Mechanism diagram", (self.diagram,), False))
        return controls

    def toggle_go_deeper(self) -> None:
        """Open or close the page's go-deeper card (G)."""
        if self.go_deeper is not None:
            self.go_deeper.toggle()

    def send_param(self, name: str, value: object) -> None:
        """Send a parameter change to the engine (applied from its next step)."""
        self.show_message("")
        self.scenario = None  # a control moved: the scenario's words no longer apply
        self.controller.set_param(name, value)
        self.warn_fresh_only(name, value)

    def _on_play(self, running: bool) -> None:
        self.controller.play() if running else self.controller.pause()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- drawing --------------------------------------------------------------------------
    def draw_snapshot(self, snapshot: dict) -> None:
        """Show a snapshot: the caption from its parameters, then the page's plots."""
        was_diverged = self.snapshot is not None and self.snapshot.get("diverged_at_step") is not None
        if was_diverged and snapshot.get("diverged_at_step") is None:
            self.show_message("")  # reset after a divergence: its "press Reset" message is stale
        elif not was_diverged and snapshot.get("diverged_at_step") is not None:
            # Said here, not by the engine loop, so Play, Step and the Right arrow all get the words.
            self.show_message(f"Training diverged: {snapshot['divergence_reason']}. Press Reset.")
        self.snapshot = snapshot
        self.keep_snapshot(snapshot)
        if self.scrub_index is None:  # while scrubbing, the step dragged to stays on screen
            self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot: dict) -> None:
        """Verdict, caption and plots of one snapshot (the live one, or one kept for the scrubber)."""
        if snapshot.get("diverged_at_step") is not None:
            headline, kind = f"DIVERGED at step {snapshot['diverged_at_step']}: press Reset", "diverged"
            detail = snapshot["divergence_reason"]
        else:
            headline, kind, detail = self.live_state(snapshot)
        colour = {"healthy": self.theme.healthy, "collapsed": self.theme.collapsed,
                  "untrained": self.theme.foreground}.get(kind, self.theme.warning)
        self.verdict.setText(headline)
        self._headline_colour = colour
        self.style_verdict()
        scenario = ""
        # Only while the engine runs exactly the scenario's settings: a snapshot made while its
        # parameters were still being applied does not show it (and does not cancel it either).
        if self.scenario is not None and all(
                snapshot["params"].get(k) == v for k, v in self.scenario.params.items()):
            # A scenario file's words are text, not markup: escaped, they cannot restyle the page.
            scenario = (f"<b>Scenario: {html.escape(self.scenario.name)}.</b> "
                        f"{html.escape(self.scenario.caption)}<br>")
        self.show_caption([scenario.removesuffix("<br>")] * bool(scenario)
                          + [self.caption_text(snapshot["params"]), f"<b>Now:</b> {detail}"])
        self.draw(snapshot)

    def style_verdict(self) -> None:
        """The verdict's colour, and its size at presenter zoom (for its text, zoom and width)."""
        style = f"color: {self._headline_colour};{self.verdict_font_size(self.verdict.text())}"
        if style != self._shown_verdict_style:  # a new style sheet re-polishes the label: only on change
            self._shown_verdict_style = style
            self.verdict.setStyleSheet(style)

    def verdict_font_size(self, headline: str) -> str:
        """"" (the style sheet's size), or in compact mode a smaller size that keeps a long verdict
        on one line (two lines of it at zoom 2 took the hero's height)."""
        if not self.compact():
            return ""
        full = BASE_FONT_PT * self.zoom * VERDICT_SCALE
        font = QtGui.QFont(self.verdict.font())
        font.setPointSizeF(full)
        font.setBold(True)
        needed = QtGui.QFontMetricsF(font).horizontalAdvance(headline)
        room = self.verdict.parentWidget().width() - 8
        if needed <= room or room <= 0:
            return ""
        scale = max(SMALLEST_VERDICT, math.floor(room / needed * 20) / 20)  # in steps: few re-styles
        return f" font-size: {scale * full:.1f}pt;"

    def compact(self) -> bool:
        """Presenter zoom: the header's secondary lines shrink to one line each, the plots get the room."""
        return self.zoom >= HERO_ONLY_ZOOM

    def show_caption(self, lines: list[str]) -> None:
        """The caption's lines, wrapped; in compact mode each elided to one line, the whole caption
        in the tooltip (hover it to read what was cut); from ESSENTIALS_ONLY_ZOOM only the last line."""
        self.caption_lines = lines
        if not self.compact():
            self.caption.setWordWrap(True)
            self.caption.setToolTip("")
            self.caption.setText("<br>".join(lines))
            return
        self.caption.setWordWrap(False)
        width = self.caption.parentWidget().width() - 4
        metrics = QtGui.QFontMetrics(self.caption.font())
        bold = QtGui.QFont(self.caption.font())
        bold.setBold(True)
        bold_metrics = QtGui.QFontMetrics(bold)  # a line with bold words is wider than its plain text
        kept = lines[-1:] if self.zoom >= ESSENTIALS_ONLY_ZOOM else lines
        shown, cut = [], len(kept) < len(lines)
        for line in kept:
            text = plain_text(line)
            if bold_metrics.horizontalAdvance(text) <= width:
                shown.append(line)
            else:  # a bold lead ("Now:") stays bold; the rest is cut to fit after it
                lead = re.match(r"<b>([^<]*)</b>", line)
                lead_text = html.unescape(lead.group(1)) if lead else ""
                rest = text[len(lead_text):]
                room = width - bold_metrics.horizontalAdvance(lead_text)
                shown.append((f"<b>{html.escape(lead_text)}</b>" if lead else "")
                             + html.escape(metrics.elidedText(rest, QtCore.Qt.ElideRight, room)))
                cut = True
        self.caption.setToolTip("\n".join(plain_text(line) for line in lines) if cut else "")
        self.caption.setText("<br>".join(shown))

    # -- scenarios ------------------------------------------------------------------------
    def apply_scenario(self, scenario) -> None:
        """Set every control and the seed from a validated scenario, and start afresh from it."""
        self.controller.pause()
        for name, value in scenario.params.items():
            if name in self.controls:
                self.controls[name].set_value(value)
            self.controller.set_param(name, value)
        self.transport.seed.setValue(int(scenario.params["seed"]))
        if getattr(scenario, "speed", None) is not None:
            self.transport.set_speed(scenario.speed)
        self.controller.reset(int(scenario.params["seed"]))
        self.scenario = scenario
        self.show_message("")

    def scenario_caption(self) -> str:
        """The caption of the scenario still in force ("" when none is): saved with the settings."""
        return self.scenario.caption if self.scenario is not None else ""

    def reset_page(self) -> None:
        """Start training afresh from the seed in the transport bar."""
        self._reset_keeping_ghost(self.transport.seed.value())

    def restart_with_settings(self) -> None:
        """Step 0 again with the same seed as the run so far and the settings now on the controls."""
        seed = self.snapshot["params"]["seed"] if self.snapshot is not None else self.transport.seed.value()
        self.transport.seed.setValue(int(seed))
        self._reset_keeping_ghost(int(seed))

    def _reset_keeping_ghost(self, seed: int) -> None:
        # A run worth comparing against (it trained) stays behind the new one, faint and labelled.
        if self.snapshot is not None and self.snapshot.get("step", 0) > 0 and "history" in self.snapshot:
            self.ghost = {"history": self.snapshot["history"], "params": dict(self.snapshot["params"]),
                          "label": self.ghost_label(self.snapshot["params"]), "step": self.snapshot["step"],
                          "dim": self.snapshot.get("dim")}
            self.draw_ghost(self.ghost)
            self.clear_ghost_button.show()
        self.show_message("")
        self.controller.reset(seed)

    # -- history scrubber -----------------------------------------------------------------
    def keep_snapshot(self, snapshot: dict) -> None:
        """Keep the snapshot for the scrubber; at MAX_KEPT every other one goes (first and last
        stay), so memory is bounded and the whole run stays reachable, thinner as it grows."""
        kept = self.kept_snapshots
        if kept and snapshot["step"] < kept[-1]["step"]:
            kept.clear()  # a reset: a new run's history
            self.go_live()
        if kept and snapshot["step"] == kept[-1]["step"]:
            kept[-1] = snapshot
        else:
            kept.append(snapshot)
        if len(kept) > MAX_KEPT:
            del kept[1:-1:2]
            if self.scrub_index is not None:
                self.scrub_index = min(self.scrub_index // 2, len(kept) - 1)
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, len(kept) - 1)
        self.scrubber.setValue(len(kept) - 1 if self.scrub_index is None else self.scrub_index)
        self.scrubber.blockSignals(False)

    def scrub_to(self, index: int) -> None:
        """Show the kept snapshot ``index``; the last one is live."""
        if not self.kept_snapshots:
            return
        index = max(0, min(index, len(self.kept_snapshots) - 1))
        if index == len(self.kept_snapshots) - 1:
            self.go_live()
            return
        if self.scrub_index is None and self.snapshot is not None and self.snapshot.get("running"):
            self._resume_after_scrub = True
            self.controller.pause()
        self.scrub_index = index
        shown = self.kept_snapshots[index]
        self.scrub_label.setText(f"History: step {shown['step']}")
        self.live_button.setEnabled(True)
        self.show_snapshot(shown)

    def go_live(self) -> None:
        """Back to the latest snapshot; training resumes from the end if it ran before scrubbing."""
        was_scrubbing = self.scrub_index is not None
        self.scrub_index = None
        self.scrub_label.setText("History: live")
        self.live_button.setEnabled(False)
        if self.kept_snapshots:
            self.scrubber.blockSignals(True)
            self.scrubber.setValue(len(self.kept_snapshots) - 1)
            self.scrubber.blockSignals(False)
        if was_scrubbing and self.snapshot is not None:
            self.show_snapshot(self.snapshot)
        if self._resume_after_scrub:
            self._resume_after_scrub = False
            self.controller.play()

    def set_log_steps(self, on: bool) -> None:
        for plot in self.plots:
            if getattr(plot, "time_series", False):
                plot.set_log_x(on)
        if self.snapshot is not None:
            self.draw(self.snapshot)
        self.draw_ghost(self.ghost)

    def clear_ghost(self) -> None:
        self.ghost = None
        self.draw_ghost(None)
        self.clear_ghost_button.hide()

    def ghost_label(self, params: dict) -> str:
        """The previous run's settings in a few words: the caption's settings part."""
        return "last run: " + self.caption_text(params).split("→")[0].strip()

    def draw_ghost(self, ghost: dict | None) -> None:
        """Hook: draw (or, with None, remove) the previous run's curves behind the live ones."""

    def warn_fresh_only(self, name: str, value: object) -> None:
        """Say at once when a change acts only on a fresh network (FRESH_ONLY) on a trained one."""
        words = self.FRESH_ONLY.get((name, value))
        if words and self.snapshot is not None and self.snapshot.get("step", 0) >= self.TRAINED_STEPS:
            self.show_message(f"{words} The papers train each ablation from scratch: press "
                              f"Restart with these settings (Shift+R).")

    def scenario_params(self) -> dict:
        """The live parameters, for saving as a scenario."""
        if self.snapshot is not None:
            return dict(self.snapshot["params"])
        return {spec.name: spec.default for spec in self.PARAMS}

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        for extra in (self.lesson_strip, self.go_deeper, self.diagram):
            if extra is not None:
                extra.set_theme(theme, zoom)
        compact = self.compact()
        if self.lesson_strip is not None:
            self.lesson_strip.set_compact(self.zoom >= ESSENTIALS_ONLY_ZOOM)
        for widget, texts in ((self.restart_button, RESTART_TEXTS), (self.log_steps, LOG_STEPS_TEXTS),
                              (self.all_plots, ALL_PLOTS_TEXTS)):
            widget.setText(texts[compact])
        self.place_view_options(compact)
        # Capped, the column's contents take its width (squeezed a little) rather than a width that
        # the scroll area clips at the right, Reset included.
        self.control_scroll.widget().setMinimumWidth(1 if compact else 0)
        self.show_caption(self.caption_lines)
        self.style_verdict()
        # The control column grows with the text, or its values would be clipped at high zoom.
        self.fit_control_column()
        self.widen_plot_titles()
        for plot in self.plots:
            plot.apply_style(theme, zoom)
        self.show_secondary_plots()
        if self.snapshot is not None:
            self.draw(self.snapshot)

    def place_view_options(self, compact: bool) -> None:
        """Restart, Clear ghost, Log step axis and All plots sit under the transport bar; at presenter
        zoom they go below the page's switches, which then stay in sight under Play/Step/Reset."""
        options = (self.restart_button, self.clear_ghost_button, self.log_steps, self.all_plots)
        layout = self.control_layout
        for widget in options:
            layout.removeWidget(widget)
        if compact:
            help_box = self.help_box
            index = layout.indexOf(help_box) if help_box is not None else layout.count() - 1  # before the stretch
        else:
            index = layout.indexOf(self.transport) + 1
        for offset, widget in enumerate(options):
            layout.insertWidget(index + offset, widget)

    def show_secondary_plots(self) -> None:
        """From presenter zoom HERO_ONLY_ZOOM only the hero plots are shown (the rest became slivers at
        1280x720), and the mechanism diagram only where the hero keeps its room; "All plots" brings
        them back."""
        visible = self.zoom < HERO_ONLY_ZOOM or self.all_plots.isChecked()
        for plot in self.secondary_plots:
            plot.setVisible(visible)
        if self.secondary_plots:  # hidden rows and columns give their room to the hero
            set_hero_stretch(self.plot_grid, visible)
        self.show_diagram()

    def show_diagram(self) -> None:
        """The diagram as View > Controls on this page says, unless at presenter zoom it would take
        the hero's room: a band above the plots (their height), or a column beside them that would
        leave the hero less than HERO_MIN_WIDTH_SHARE of the page's width."""
        if self.diagram is None:
            return
        wanted = "diagram" not in self.hidden_controls()
        if wanted and self.zoom >= HERO_ONLY_ZOOM and not self.all_plots.isChecked():
            if not self.diagram.PORTRAIT:
                wanted = False  # a band above the plots would take the hero's height (multi-crop)
            else:
                column = self.control_scroll.width() if self.control_scroll.isVisibleTo(self) else 0
                hero_width = self.width() - column - self.diagram.maximumWidth() - 40
                wanted = hero_width >= HERO_MIN_WIDTH_SHARE * self.width()
        if self.diagram.isHidden() == wanted:
            self.diagram.setVisible(wanted)

    def column_cap(self) -> int:
        return int(COLUMN_SHARE_AT_HIGH_ZOOM * self.width()) if self.compact() else super().column_cap()

    def _apply_control_visibility(self) -> None:
        super()._apply_control_visibility()
        self.show_secondary_plots()  # the diagram as the menu says, within what presenter zoom leaves

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # fits the control column to the new width first
        self.show_diagram()
        if event.oldSize().width() != event.size().width():
            self.style_verdict()
            if self.compact():
                self.show_caption(self.caption_lines)  # elided to the new width

    def widen_plot_titles(self) -> None:
        """Let each plot's title use the plot's whole width, not only the width beside its y axis: at
        presenter zoom a title such as KL(teacher‖student) is wider than the data area and was clipped."""
        for plot in self.plots:
            item = plot.getPlotItem()
            if item.layout.itemAt(0, 0) is not item.titleLabel:
                item.layout.removeItem(item.titleLabel)
                item.layout.addItem(item.titleLabel, 0, 0, 1, 3)

    # -- page hooks -----------------------------------------------------------------------
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        raise NotImplementedError

    def build_plots(self, grid: QtWidgets.QGridLayout) -> None:
        raise NotImplementedError

    def build_diagram(self) -> QtWidgets.QWidget | None:
        """The page's live mechanism diagram, shown above the plots (none by default)."""
        return None

    def caption_text(self, params: dict) -> str:
        raise NotImplementedError

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        """(headline, kind, detail) of the live state; kind is healthy, collapsed or another word."""
        raise NotImplementedError

    def draw(self, snapshot: dict) -> None:
        raise NotImplementedError
