"""Reusable controls bound to engine ParamSpecs: a slider shows its value in words and numbers,
a checkbox carries the parameter's help as its tooltip."""
from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from engine.params import ParamSpec
from engine.simulation import LECTURE


class ParamSlider(QtWidgets.QWidget):
    """A labelled slider for one float or int parameter, on a linear or log scale."""

    value_changed = QtCore.Signal(str, object)
    # Every change of the shown value, by the user or by set_value (keys, scenarios, lessons):
    # what a diagram drawn from this control listens to.
    value_shown = QtCore.Signal(str, object)

    RESOLUTION = 1000

    def __init__(self, spec: ParamSpec, minimum: float | None = None, maximum: float | None = None,
                 marks: tuple[float, ...] = (), parent=None):
        super().__init__(parent)
        self.spec = spec
        self.minimum = spec.minimum if minimum is None else minimum
        self.maximum = spec.maximum if maximum is None else maximum
        self.log_scale = spec.log_scale
        self.label = QtWidgets.QLabel(spec.label)
        # In a narrow column at presenter zoom the name takes two lines rather than losing its end.
        self.label.setWordWrap(True)
        self.value_label = QtWidgets.QLabel()
        self.value_label.setAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
        self.value_label.setObjectName("value")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        if spec.kind is int and not self.log_scale:
            self.slider.setRange(int(self.minimum), int(self.maximum))
        else:
            self.slider.setRange(0, self.RESOLUTION)
        if marks:
            self.slider.setTickPosition(QtWidgets.QSlider.TicksBelow)
            self.slider.setTickInterval(self.RESOLUTION)  # ticks drawn only at the ends; marks in tooltip
        self.marks = marks
        tip = spec.help
        if marks:
            tip += "\nMarks: " + ", ".join(f"{m:g}" for m in marks)
        for widget in (self, self.label, self.slider):
            widget.setToolTip(tip)
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setVerticalSpacing(0)
        layout.addWidget(self.label, 0, 0)
        layout.addWidget(self.value_label, 0, 1)
        layout.addWidget(self.slider, 1, 0, 1, 2)
        layout.setColumnStretch(0, 1)  # the spare width goes to the name, which wraps only when it must
        self.slider.valueChanged.connect(self._on_slider)
        self.set_value(spec.default)

    # Slider positions <-> values.
    def _to_value(self, position: int) -> float:
        if self.spec.kind is int and not self.log_scale:
            return int(position)
        fraction = position / self.RESOLUTION
        if self.log_scale:
            low, high = math.log10(self.minimum), math.log10(self.maximum)
            value = 10 ** (low + fraction * (high - low))
        else:
            value = self.minimum + fraction * (self.maximum - self.minimum)
        return int(round(value)) if self.spec.kind is int else float(f"{value:.4g}")

    def _to_position(self, value: float) -> int:
        if self.spec.kind is int and not self.log_scale:
            return int(value)
        value = min(max(value, self.minimum), self.maximum)
        if self.log_scale:
            low, high = math.log10(self.minimum), math.log10(self.maximum)
            fraction = (math.log10(value) - low) / (high - low)
        else:
            fraction = (value - self.minimum) / (self.maximum - self.minimum)
        return int(round(fraction * self.RESOLUTION))

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Show ``value`` without announcing it (used when a snapshot or scenario sets it)."""
        self._value = value
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(False)
        self.value_label.setText(_format(value))
        self.value_shown.emit(self.spec.name, value)

    def _on_slider(self, position: int) -> None:
        value = self._to_value(position)
        for mark in self.marks:
            # Snap to a marked value when close, so 0.04 and 0.07 are easy to hit on a touchpad.
            if abs(self._to_position(mark) - position) <= 8:
                value = mark
        self._value = value
        self.value_label.setText(_format(value))
        self.value_shown.emit(self.spec.name, value)
        self.value_changed.emit(self.spec.name, value)


def _format(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 100 or abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.4g}"


class ParamCheck(QtWidgets.QCheckBox):
    """A checkbox for one boolean parameter."""

    value_changed = QtCore.Signal(str, object)
    value_shown = QtCore.Signal(str, object)  # as ParamSlider.value_shown

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec.label, parent)
        self.spec = spec
        self.setToolTip(spec.help)
        self.setChecked(bool(spec.default))
        self.toggled.connect(lambda checked: self.value_shown.emit(spec.name, bool(checked)))
        self.toggled.connect(lambda checked: self.value_changed.emit(spec.name, bool(checked)))

    def set_value(self, value: bool) -> None:
        self.blockSignals(True)
        self.setChecked(bool(value))
        self.blockSignals(False)
        self.value_shown.emit(self.spec.name, bool(value))


SPEEDS = (("Lecture pace", LECTURE), ("10 steps/s", 10.0), ("30 steps/s", 30.0), ("100 steps/s", 100.0),
          ("300 steps/s", 300.0), ("Full speed", None))


class TransportBar(QtWidgets.QWidget):
    """Play/pause, single step, reset with a seed, and a speed choice."""

    play_toggled = QtCore.Signal(bool)
    step_requested = QtCore.Signal()
    reset_requested = QtCore.Signal(int)
    speed_changed = QtCore.Signal(object)

    def __init__(self, seed_spec: ParamSpec, parent=None):
        super().__init__(parent)
        self.play_button = QtWidgets.QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Start or pause training (Space)")
        self.step_button = QtWidgets.QPushButton("Step")
        self.step_button.setToolTip("One training step (Right arrow)")
        self.reset_button = QtWidgets.QPushButton("Reset")
        self.reset_button.setToolTip("New networks and data from the seed: same seed, same run (R)")
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(int(seed_spec.minimum), int(seed_spec.maximum))
        self.seed.setValue(int(seed_spec.default))
        self.seed.setToolTip(seed_spec.help + " Takes effect on Reset.")
        self.speed = QtWidgets.QComboBox()
        for text, value in SPEEDS:
            self.speed.addItem(text, value)
        self.speed.setCurrentIndex(len(SPEEDS) - 1)
        self.speed.setToolTip("How fast training runs. Lecture pace: a few steps a second after a "
                              "reset, a change or a new verdict, faster while nothing changes")
        # Narrow minimums, so the control column never overflows (and clips) at high zoom.
        self.seed.setMinimumWidth(40)
        self.seed.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
        self.speed.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.speed.setMinimumContentsLength(10)  # "Full speed" whole: the column widens to fit it
        # Two independent rows: the buttons share their row and keep their words whole, whatever
        # width the speed list takes in the row below (the column widens to fit both).
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.play_button, self.step_button, self.reset_button):
            buttons.addWidget(button, 1)
        seed_label = QtWidgets.QLabel("Seed")
        seed_label.setToolTip(self.seed.toolTip())
        settings = QtWidgets.QHBoxLayout()
        settings.addWidget(seed_label)
        settings.addWidget(self.seed, 1)
        settings.addWidget(self.speed, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(settings)
        self.play_button.toggled.connect(self._on_play)
        self.step_button.clicked.connect(self.step_requested)
        self.reset_button.clicked.connect(lambda: self.reset_requested.emit(self.seed.value()))
        self.speed.currentIndexChanged.connect(lambda i: self.speed_changed.emit(self.speed.itemData(i)))

    def set_speed(self, speed: str | float) -> None:
        """Choose a speed as a scenario names it: "lecture", "full" or steps a second (the nearest
        listed speed), and send it to the engine."""
        if speed == "full":
            index = self.speed.count() - 1
        elif speed == LECTURE:
            index = self.speed.findData(LECTURE)
        else:
            rates = [(abs(self.speed.itemData(i) - float(speed)), i) for i in range(self.speed.count())
                     if isinstance(self.speed.itemData(i), float)]
            index = min(rates)[1]
        if index == self.speed.currentIndex():
            self.speed_changed.emit(self.speed.itemData(index))
        self.speed.setCurrentIndex(index)

    def _on_play(self, checked: bool) -> None:
        self.play_button.setText("Pause" if checked else "Play")
        self.play_toggled.emit(checked)

    def show_running(self, running: bool) -> None:
        """Reflect the engine's state without sending a command back."""
        self.play_button.blockSignals(True)
        self.play_button.setChecked(running)
        self.play_button.setText("Pause" if running else "Play")
        self.play_button.blockSignals(False)
