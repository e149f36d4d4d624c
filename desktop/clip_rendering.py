"""A page trained step by step in this process and painted into a clip: what `distill-lab record`
does once its arguments are checked. The engine thread's timing never enters: frame i shows
training step round(i * speed / fps), so the same arguments give the same frames."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from desktop import export
from desktop.recording import FrameEncoder, RecordingResult, frame_size, open_clip, recordable_parts, render_frame
from engine.params import ParameterError


class PartNotFound(ValueError):
    """--part names nothing on the page; the message lists what there is."""


class SteppedController(QtCore.QObject):
    """Stands in for the engine controller (same signals and commands): the simulation lives in
    this thread and moves only when ``advance_to`` says, drawing one snapshot each time."""

    snapshot = QtCore.Signal(object)
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, simulation, parent=None):
        super().__init__(parent)
        self.simulation = simulation
        self.running = True  # the clip shows training under way
        self.latest: dict | None = None

    def publish(self) -> None:
        snapshot = self.simulation.snapshot()
        snapshot["running"] = self.running
        self.latest = snapshot
        self.snapshot.emit(snapshot)

    def advance_to(self, step: int) -> None:
        """Train up to ``step`` (or to a divergence) and draw the result."""
        self.simulation.step(max(0, step - self.simulation.step_count))
        self.publish()

    # The commands a panel may send; timing belongs to the clip, so play, pause and step do nothing.
    def set_param(self, name: str, value: object) -> None:
        try:
            self.simulation.set_param(name, value)
        except ParameterError as error:
            self.message.emit(str(error))

    def reset(self, seed: int | None = None) -> None:
        self.simulation.reset(seed)
        self.publish()

    def play(self) -> None: ...
    def pause(self) -> None: ...
    def toggle(self) -> None: ...
    def step(self, count: int = 1) -> None: ...
    def set_speed(self, steps_per_second) -> None: ...
    def ensure_started(self) -> None: ...

    def shutdown(self, timeout_ms: int = 0) -> bool:
        return True


@dataclass
class ClipResult(RecordingResult):
    width: int = 0
    height: int = 0
    last_step: int = 0
    diverged_at_step: int | None = None


def find_part(panel, name: str):
    """The widget --part names: "page", or a plot whose title contains the word(s)."""
    parts = recordable_parts(panel)
    if name.strip().lower() in ("page", "whole page", ""):
        return parts[0][1]
    wanted = export._slug(name)
    for label, widget in parts[1:]:
        if wanted in export._slug(label):
            return widget
    names = ", ".join(["page"] + [export._slug(label) for label, _ in parts[1:]])
    raise PartNotFound(f"--part must name the page or a plot ({names}), not {name!r}")


def record_page(page_key: str, output: Path, *, size: tuple[int, int], steps: int | None,
                settings: dict, changes: list[tuple[int, str, object]], scenario, fps: int,
                scale: float, speed: float, part: str, theme: str | None = None,
                zoom: float | None = None) -> ClipResult:
    """Train ``page_key`` from a fresh start and write ``steps`` steps of it as a clip."""
    from desktop.app import application
    from desktop.pages import page as find_page
    from desktop.settings import ZOOM_STEPS, app_settings, read_float
    from desktop.style import style_sheet
    from widgets.theme import LIGHT, THEMES

    app = application()
    page = find_page(page_key)
    stored = app_settings()
    theme = THEMES[theme] if theme else THEMES.get(str(stored.value("view/theme", LIGHT.name)), LIGHT)
    if zoom is None:
        zoom = read_float(stored, "view/zoom", 1.0, ZOOM_STEPS[0], ZOOM_STEPS[-1])
    controller = SteppedController(page.simulation_class())
    panel = page.panel_class(controller, theme)
    try:
        panel.setStyleSheet(style_sheet(theme, zoom))  # the window's look: the page alone has none
        panel.set_theme(theme, zoom)
        panel.resize(*size)
        panel.show()
        widget = find_part(panel, part)
        if scenario is not None:
            panel.apply_scenario(scenario)
        for name, value in settings.items():
            _apply(panel, controller, name, value)
        controller.reset(None)  # a fresh start with every setting in place (the seed included)
        _settle(app)

        total = page.simulation_class.DEFAULT_STEPS if steps is None else steps
        frames = int(math.ceil(total * fps / speed - 1e-9)) + 1  # the last frame shows step ``total``
        dimensions = frame_size(widget, scale)
        writer = open_clip(output, (dimensions.width(), dimensions.height()), fps)
        encoder = FrameEncoder(writer)
        pending = list(changes)
        for index in range(frames):
            target = min(total, int(round(index * speed / fps)))
            while pending and pending[0][0] <= target:
                at, name, value = pending.pop(0)
                controller.advance_to(at)
                _apply(panel, controller, name, value)
            controller.advance_to(target)
            _settle(app)
            if not encoder.submit(render_frame(widget, dimensions), index, wait=True):
                break  # the encoder failed: its message is in the result
        encoder.finish(frames)
        simulation = controller.simulation
        return ClipResult(output, writer.frames, writer.slots / fps,
                          output.stat().st_size if output.exists() else 0, 0, encoder.error,
                          dimensions.width(), dimensions.height(), simulation.step_count,
                          getattr(simulation, "diverged_at_step", None))
    finally:
        panel.close()
        panel.deleteLater()


def _apply(panel, controller, name: str, value) -> None:
    """A parameter set as the page's control would set it; one without a control (the seed, the
    batch size) goes straight to the simulation."""
    if name in getattr(panel, "controls", {}):
        panel.apply_param(name, value)
    else:
        controller.set_param(name, value)
        if name == "seed" and hasattr(panel, "transport"):
            panel.transport.seed.setValue(int(value))


def _settle(app) -> None:
    """Let the drawing's posted layout requests run, so the frame shows this snapshot laid out."""
    for _ in range(2):
        app.sendPostedEvents()
        app.processEvents()
