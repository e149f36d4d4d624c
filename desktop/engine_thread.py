"""The engine thread: owns one simulation, steps it, and hands snapshots to the panels.

Panels never touch the simulation. They send commands and parameter changes through queued
signals, which the worker applies between slices of steps, and they receive snapshots through a
one-slot mailbox: the worker overwrites the slot and signals only when the GUI has taken the
previous one, so a slow GUI sees the latest state and no queue can grow.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Callable

from PySide6 import QtCore

from engine.params import ParameterError
from engine.simulation import LECTURE, Simulation

SNAPSHOT_INTERVAL_S = 1.0 / 40.0  # ~30 frames a second reach the display after scheduling jitter
SLICE_BUDGET_S = 0.008  # short slices keep the GUI thread's share of the GIL


class EngineWorker(QtCore.QObject):
    """Lives in the engine thread. All its slots run there."""

    snapshot_available = QtCore.Signal()
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, make_simulation: Callable[[], Simulation]):
        super().__init__()
        self._make_simulation = make_simulation
        self.simulation: Simulation | None = None
        self._running = False
        self._steps_per_second: float | None = None  # None: as fast as possible
        self._step_credit = 0.0
        self._pending_steps = 0  # steps asked for by Step or a screenshot, done in slices
        self._last_tick = time.perf_counter()
        self._last_emit = 0.0
        self._mailbox_lock = threading.Lock()
        self._mailbox: dict | None = None
        self._mailbox_signalled = False
        self._timer: QtCore.QTimer | None = None

    # -- set-up, in the engine thread ------------------------------------------------------
    @QtCore.Slot()
    def start(self) -> None:
        self.simulation = self._make_simulation()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._guarded_tick)
        self._publish(force=True)

    @QtCore.Slot()
    def stop(self) -> None:
        """Stop the loop; called with a blocking connection so it is done before the thread ends."""
        self._running = False
        self._pending_steps = 0
        if self._timer is not None:
            self._timer.stop()

    # -- commands -----------------------------------------------------------------------
    @QtCore.Slot(bool)
    def set_running(self, running: bool) -> None:
        if running and self.simulation is not None and self.simulation.diverged:
            self.message.emit("Training diverged: press Reset to start again.")
            running = False
        self._running = running
        self._last_tick = time.perf_counter()
        self._step_credit = 0.0
        self._update_timer()
        self.running_changed.emit(running)
        self._publish(force=True)

    @QtCore.Slot(int)
    def single_step(self, count: int) -> None:
        """Queue ``count`` steps; they run in slices so controls and snapshots stay live."""
        if self.simulation is None:
            return
        if self.simulation.diverged:
            self.message.emit("Training diverged: press Reset to start again.")
            return
        self._pending_steps += max(0, count)
        self._update_timer()

    def _update_timer(self) -> None:
        if self._timer is None:
            return
        if self._running or self._pending_steps:
            self._timer.start()
        else:
            self._timer.stop()

    @QtCore.Slot(object)
    def reset(self, seed: object) -> None:
        if self.simulation is None:
            return
        try:
            self.simulation.reset(seed)
        except ParameterError as error:
            self.message.emit(str(error))
            return
        self._pending_steps = 0
        self._update_timer()
        self._publish(force=True)

    @QtCore.Slot(str, object)
    def set_param(self, name: str, value: object) -> None:
        if self.simulation is None:
            return
        try:
            self.simulation.set_param(name, value)
        except ParameterError as error:
            self.message.emit(str(error))
        self._publish(force=True)

    @QtCore.Slot(object)
    def set_speed(self, steps_per_second: object) -> None:
        # LECTURE: the simulation chooses its own rate (Simulation.lecture_rate).
        self._steps_per_second = (steps_per_second if steps_per_second in (None, LECTURE)
                                  else float(steps_per_second))
        self._step_credit = 0.0

    # -- the loop -------------------------------------------------------------------------
    def _guarded_tick(self) -> None:
        """A slice of training; an unexpected error stops it with a message, never a dead loop."""
        try:
            self._tick()
        except Exception as error:  # noqa: BLE001  (a bug must not take the lecture down)
            traceback.print_exc()  # for whoever debugs it; the page says it in words
            self._running = False
            self._pending_steps = 0
            self._update_timer()
            self.running_changed.emit(False)
            step = getattr(self.simulation, "step_count", "?")
            self.message.emit(f"Training stopped at step {step} by an error in the engine "
                              f"({type(error).__name__}: {error}). Press Reset to start again.")

    def _tick(self) -> None:
        simulation = self.simulation
        if simulation is None:
            return
        now = time.perf_counter()
        elapsed, self._last_tick = now - self._last_tick, now
        start = now
        if self._pending_steps:
            while (self._pending_steps and time.perf_counter() - start < SLICE_BUDGET_S
                   and not simulation.diverged):
                simulation.step(1)
                self._pending_steps -= 1
            if simulation.diverged:
                self._pending_steps = 0
            self._update_timer()
            self._publish(force=not self._pending_steps)
            return
        if not self._running:
            self._update_timer()
            return
        if self._steps_per_second is None:
            while time.perf_counter() - start < SLICE_BUDGET_S and not simulation.diverged:
                simulation.step(1)
        else:
            rate = self._steps_per_second
            if rate == LECTURE:
                rate = simulation.lecture_rate() if hasattr(simulation, "lecture_rate") else 30.0
            self._step_credit = min(self._step_credit + elapsed * rate, 50.0)
            due = int(self._step_credit)
            self._step_credit -= due
            if due:
                simulation.step(due)
            else:
                # Nothing due yet: sleep a little instead of spinning the core.
                QtCore.QThread.msleep(2)
        if simulation.diverged:
            self.set_running(False)  # the page says what diverged when it draws this snapshot
        self._publish()

    def _publish(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_emit < SNAPSHOT_INTERVAL_S:
            return
        if self.simulation is None:
            return
        snapshot = self.simulation.snapshot()
        snapshot["running"] = self._running
        self._last_emit = now
        with self._mailbox_lock:
            self._mailbox = snapshot
            signal_now = not self._mailbox_signalled
            self._mailbox_signalled = True
        if signal_now:
            self.snapshot_available.emit()

    def take_snapshot(self) -> dict | None:
        """Called from the GUI thread: the latest snapshot, or None if it was already taken."""
        with self._mailbox_lock:
            snapshot, self._mailbox = self._mailbox, None
            self._mailbox_signalled = False
        return snapshot


class EngineController(QtCore.QObject):
    """The GUI thread's handle on one engine thread."""

    snapshot = QtCore.Signal(object)  # object: a dict would be converted to a QVariantMap
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    _start = QtCore.Signal()
    _stop = QtCore.Signal()
    _set_running = QtCore.Signal(bool)
    _single_step = QtCore.Signal(int)
    _reset = QtCore.Signal(object)
    _set_param = QtCore.Signal(str, object)
    _set_speed = QtCore.Signal(object)

    def __init__(self, make_simulation: Callable[[], Simulation], parent=None):
        super().__init__(parent)
        self.running = False
        self.latest: dict | None = None
        # Frame pacing: after a snapshot is drawn, the next one waits until the GUI's event loop
        # has come round to its timers once, so input and timers get a turn between frames even
        # when drawing costs more than the frame interval (else the window stops responding).
        self._frame_gap = QtCore.QTimer(self)
        self._frame_gap.setSingleShot(True)
        self._frame_gap.setInterval(0)
        self._frame_gap.timeout.connect(self._on_frame_gap)
        self._snapshot_waiting = False
        self._thread = QtCore.QThread()
        self._thread.setObjectName("engine")
        self._worker = EngineWorker(make_simulation)
        self._worker.moveToThread(self._thread)
        self._start.connect(self._worker.start)
        # Blocking: the loop's timer must be stopped in its own thread before the thread ends.
        self._stop.connect(self._worker.stop, QtCore.Qt.BlockingQueuedConnection)
        self._thread.finished.connect(self._worker.deleteLater)
        self._set_running.connect(self._worker.set_running)
        self._single_step.connect(self._worker.single_step)
        self._reset.connect(self._worker.reset)
        self._set_param.connect(self._worker.set_param)
        self._set_speed.connect(self._worker.set_speed)
        self._worker.snapshot_available.connect(self._deliver, QtCore.Qt.QueuedConnection)
        self._worker.message.connect(self.message)
        self._worker.running_changed.connect(self._on_running_changed)
        self._thread.start()
        self._start.emit()

    def _on_frame_gap(self) -> None:
        if self._snapshot_waiting:
            self._snapshot_waiting = False
            self._deliver()

    def _deliver(self) -> None:
        if self._frame_gap.isActive():
            self._snapshot_waiting = True  # the mailbox keeps the latest; taken after the gap
            return
        self._frame_gap.start()
        snapshot = self._worker.take_snapshot()
        if snapshot is not None:
            self.latest = snapshot
            # The mailbox can hand over a snapshot newer than a running_changed still queued:
            # the state a page draws and the state `running` reports must agree.
            if snapshot["running"] != self.running:
                self._on_running_changed(snapshot["running"])
            self.snapshot.emit(snapshot)

    def _on_running_changed(self, running: bool) -> None:
        self.running = running
        self.running_changed.emit(running)  # also when unchanged: it resets a refused Play button

    def ensure_started(self) -> None:
        """The engine thread starts with its controller (the process engine starts on first use)."""

    def play(self) -> None:
        self._set_running.emit(True)

    def pause(self) -> None:
        self._set_running.emit(False)

    def toggle(self) -> None:
        self._set_running.emit(not self.running)

    def step(self, count: int = 1) -> None:
        self._single_step.emit(count)

    def reset(self, seed: int | None = None) -> None:
        self._reset.emit(seed)

    def set_param(self, name: str, value: object) -> None:
        self._set_param.emit(name, value)

    def set_speed(self, steps_per_second: float | None) -> None:
        self._set_speed.emit(steps_per_second)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the loop and the thread; True when the thread ended in time."""
        if not self._thread.isRunning():
            return True
        self._stop.emit()
        self._thread.quit()
        return self._thread.wait(timeout_ms)
