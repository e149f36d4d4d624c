"""What the two engine controllers (thread and process) share: the page's side of an engine.

A panel talks only to a controller: it sends commands (play, step, reset, parameters, speed) and
receives snapshots, messages and the running state. The controller keeps the authoritative copy
of every parameter the page has set, so an engine that is started again after it died or froze
receives all of them before its first step, and trains what the controls show. It also paces the
frames: a snapshot is drawn only after the GUI's event loop has had a turn since the last one.
"""
from __future__ import annotations

from typing import Callable

from PySide6 import QtCore

from desktop.engine_commands import Configure, Open, Reset, SetParam, SetRunning, SetSpeed, Step
from engine.params import ParameterError, spec_table
from engine.simulation import LECTURE


class EngineControllerBase(QtCore.QObject):
    """The GUI thread's handle on one page's engine. Subclasses say how commands reach it."""

    snapshot = QtCore.Signal(object)  # object: a dict would be converted to a QVariantMap
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, simulation_class: Callable, parent=None):
        super().__init__(parent)
        self.simulation_class = simulation_class
        self.running = False
        self.latest: dict | None = None
        self.params: dict[str, object] = {}  # every parameter the page has set, in order
        self.speed: float | str | None = None  # steps a second; None: as fast as it goes
        self._specs = spec_table(getattr(simulation_class, "PARAMS", ()))
        self._trouble_shown = False  # the page says the engine stopped or froze
        self._pending_snapshot: dict | None = None
        # Frame pacing: after a snapshot is drawn, the next one waits until the GUI's event loop
        # has come round to its timers once, so input and timers get a turn between frames even
        # when drawing costs more than the frame interval (else the window stops responding).
        self._frame_gap = QtCore.QTimer(self)
        self._frame_gap.setSingleShot(True)
        self._frame_gap.setInterval(0)
        self._frame_gap.timeout.connect(self._deliver)

    # -- what a page asks ---------------------------------------------------------------
    def play(self) -> None:
        self._command(SetRunning(True))

    def pause(self) -> None:
        self._command(SetRunning(False))

    def toggle(self) -> None:
        self._command(SetRunning(not self.running))

    def step(self, count: int = 1) -> None:
        self._command(Step(int(count)))

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            if not self._accept("seed", seed):
                return
        self._command(Reset(self.params.get("seed") if seed is not None else None))

    def set_param(self, name: str, value: object) -> None:
        if self._accept(name, value):
            self._command(SetParam(name, self.params[name]))

    def set_speed(self, steps_per_second: float | str | None) -> None:
        """Steps a second; None: as fast as it goes; LECTURE: the simulation's own pace."""
        self.speed = (steps_per_second if steps_per_second in (None, LECTURE)
                      else float(steps_per_second))
        self._command(SetSpeed(self.speed))

    def _accept(self, name: str, value: object) -> bool:
        """Record a parameter the engine will accept; a refused one is said in words, not sent."""
        spec = self._specs.get(name)
        if spec is not None:  # names the class does not declare (the ablation's part) the engine checks
            try:
                value = spec.validate(value)
            except ParameterError as error:
                self.message.emit(str(error))
                return False
        self.params[name] = value
        return True

    # -- what a new or recovered engine is told first -----------------------------------------
    def opening(self) -> list:
        """The commands that give a new engine this page's state: its simulation with every
        parameter set so far, and the speed."""
        commands = [Open(self.simulation_class, dict(self.params))]
        if self.speed is not None:
            commands.append(SetSpeed(self.speed))
        return commands

    def resync(self) -> list:
        """The commands that bring an engine which missed some (it stopped answering for a
        while) back to the page's state; it stays paused, as the page has shown it."""
        commands = [Configure(dict(self.params)), SetRunning(False)]
        if self.speed is not None:
            commands.append(SetSpeed(self.speed))
        return commands

    # -- news from the engine -------------------------------------------------------------
    def engine_trouble(self, text: str) -> None:
        """The engine died or froze: the page says so in words and shows training stopped."""
        self._trouble_shown = True
        self._pending_snapshot = None  # made before the trouble: it must not clear the words
        self._on_running_changed(False)
        self.message.emit(text)

    def offer_snapshot(self, snapshot: dict) -> None:
        """A new snapshot: drawn now, or after the frame gap (a newer one replaces it meanwhile)."""
        self._pending_snapshot = snapshot
        if not self._frame_gap.isActive():
            self._deliver()

    def _deliver(self) -> None:
        snapshot, self._pending_snapshot = self._pending_snapshot, None
        if snapshot is None:
            return
        self._frame_gap.start()
        self.snapshot_taken()
        if self._trouble_shown:
            self._trouble_shown = False
            self.message.emit("")  # an engine trains again: its trouble is over
        self.latest = snapshot
        # A snapshot can be newer than a running_changed still queued: the state a page draws and
        # the state `running` reports must agree.
        if snapshot.get("running", self.running) != self.running:
            self._on_running_changed(snapshot["running"])
        self.snapshot.emit(snapshot)

    def _on_running_reported(self, running: bool) -> None:
        """The engine says it started or stopped. A snapshot still waiting for its frame was made
        before this report, so it must not turn the state back when it is drawn."""
        if self._pending_snapshot is not None:
            self._pending_snapshot["running"] = running
        self._on_running_changed(running)

    def _on_running_changed(self, running: bool) -> None:
        self.running = running
        self.running_changed.emit(running)  # also when unchanged: it resets a refused Play button

    # -- subclass hooks -------------------------------------------------------------------
    def _command(self, command) -> None:
        raise NotImplementedError

    def snapshot_taken(self) -> None:
        """Called as a snapshot is drawn (the process engine then sends its next one)."""

    def ensure_started(self) -> None:
        """Start this page's engine if it is not running (first use, or after it stopped)."""

    def stop_soon(self) -> None:
        """Ask the engine to end without waiting, so several end side by side (a thread ends
        quickly in shutdown and needs no head start)."""

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        raise NotImplementedError
