"""What every training page shares: a caption line, a control column with the transport bar,
a grid of plots, and the wiring to an engine controller.

A page subclass builds its own controls and plots and draws snapshots; it never touches the
simulation, only sends parameter changes and commands through the controller.
"""
from __future__ import annotations

import html
from typing import Protocol, runtime_checkable

from PySide6 import QtCore, QtWidgets

from engine.params import ParamSpec, spec_table
from widgets.control_column import ControlColumn, HideableControl
from widgets.controls import ParamCheck, ParamSlider, TransportBar
from widgets.lesson_strip import page_words
from widgets.steady_label import steady_label
from widgets.theme import LIGHT, Theme


@runtime_checkable
class Panel(Protocol):
    """What the main window needs from a page's panel (every page, training or not)."""

    controls: dict  # the switches and sliders by parameter name (the Switches menu's keys reach them)
    plots: list  # export targets of File > Export plots
    snapshot: dict | None  # the last drawn snapshot (its "history" is File > Export history)
    control_scroll: QtWidgets.QScrollArea  # the control column (its context menu hides controls)

    def set_theme(self, theme: Theme, zoom: float) -> None: ...
    def apply_param(self, name: str, value: object) -> None: ...
    def nudge_param(self, name: str, direction: int) -> None: ...
    def reset_page(self) -> None: ...  # the R key
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


class SimulationPanel(ControlColumn, QtWidgets.QWidget):
    """Base class of the pages that train a simulation."""

    PAGE_KEY = ""
    TITLE = ""
    PARAMS: tuple[ParamSpec, ...] = ()

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

        # build
        # Both change every frame: steady labels keep that from re-laying out the window.
        self.caption, caption_holder = steady_label("caption")
        self.verdict, verdict_holder = steady_label("verdict")
        self._shown_verdict_colour = ""
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.transport = TransportBar(self.specs["seed"])
        # The page's words (key idea, picture, go-deeper card) and its live mechanism diagram.
        self.lesson_strip, self.go_deeper, words_problem = page_words(self.PAGE_KEY, self)

        control_column = QtWidgets.QWidget()
        control_column.setObjectName("controls")
        self.control_layout = QtWidgets.QVBoxLayout(control_column)
        self.control_layout.addWidget(self.transport)
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
        self.plot_grid = QtWidgets.QGridLayout(plot_area)
        self.plot_grid.setContentsMargins(0, 0, 0, 0)
        self.plot_grid.setSpacing(6)
        self.build_plots(self.plot_grid)
        self.diagram = self.build_diagram()

        body = QtWidgets.QHBoxLayout()
        body.addWidget(scroll)
        body.addWidget(plot_area, 1)
        if self.diagram is not None:  # beside the plots: they keep the page's height
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
        self.transport.reset_requested.connect(controller.reset)
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
        help_box = QtWidgets.QGroupBox("How it works")
        help_layout = QtWidgets.QVBoxLayout(help_box)
        self.help_label = QtWidgets.QLabel(text)
        self.help_label.setWordWrap(True)
        self.help_label.setObjectName("help")
        help_layout.addWidget(self.help_label)
        layout.addWidget(help_box)

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
        if hasattr(self, "help_label"):
            controls.append(HideableControl("help", "How it works", (self.help_label.parentWidget(),)))
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
        if snapshot.get("diverged_at_step") is not None:
            headline, kind = f"DIVERGED at step {snapshot['diverged_at_step']}: press Reset", "diverged"
            detail = snapshot["divergence_reason"]
        else:
            headline, kind, detail = self.live_state(snapshot)
        colour = {"healthy": self.theme.healthy, "collapsed": self.theme.collapsed}.get(kind, self.theme.warning)
        self.verdict.setText(headline)
        if colour != self._shown_verdict_colour:  # a new style sheet re-polishes the label: only on change
            self._shown_verdict_colour = colour
            self.verdict.setStyleSheet(f"color: {colour};")
        scenario = ""
        # Only while the engine runs exactly the scenario's settings: a snapshot made while its
        # parameters were still being applied does not show it (and does not cancel it either).
        if self.scenario is not None and all(
                snapshot["params"].get(k) == v for k, v in self.scenario.params.items()):
            # A scenario file's words are text, not markup: escaped, they cannot restyle the page.
            scenario = (f"<b>Scenario: {html.escape(self.scenario.name)}.</b> "
                        f"{html.escape(self.scenario.caption)}<br>")
        self.caption.setText(f"{scenario}{self.caption_text(snapshot['params'])}<br><b>Now:</b> {detail}")
        self.draw(snapshot)

    # -- scenarios ------------------------------------------------------------------------
    def apply_scenario(self, scenario) -> None:
        """Set every control and the seed from a validated scenario, and start afresh from it."""
        self.controller.pause()
        for name, value in scenario.params.items():
            if name in self.controls:
                self.controls[name].set_value(value)
            self.controller.set_param(name, value)
        self.transport.seed.setValue(int(scenario.params["seed"]))
        self.controller.reset(int(scenario.params["seed"]))
        self.scenario = scenario
        self.show_message("")

    def scenario_caption(self) -> str:
        """The caption of the scenario still in force ("" when none is): saved with the settings."""
        return self.scenario.caption if self.scenario is not None else ""

    def reset_page(self) -> None:
        """Start training afresh from the seed in the transport bar."""
        self.controller.reset(self.transport.seed.value())

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
        # The control column grows with the text, or its values would be clipped at high zoom.
        self.fit_control_column()
        self.widen_plot_titles()
        for plot in self.plots:
            plot.apply_style(theme, zoom)
        if self.snapshot is not None:
            self.draw(self.snapshot)

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
