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

from desktop import engine_commands as commands
from desktop.engine_controller import EngineControllerBase
from engine.params import ParameterError
from engine.simulation import LECTURE, Trainable, build_simulation

SNAPSHOT_INTERVAL_S = 1.0 / 40.0  # ~30 frames a second reach the display after scheduling jitter
# A snapshot may come this much sooner when waiting for the next slice would overshoot the interval
# by more (a 20 ms multi-crop step otherwise gave a snapshot every second step: 25 a second).
MIN_SNAPSHOT_GAP_S = 1.0 / 60.0
SLICE_BUDGET_S = 0.008  # short slices keep the GUI thread's share of the GIL


class EngineWorker(QtCore.QObject):
    """Lives in the engine thread. All its slots run there."""

    snapshot_available = QtCore.Signal()
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, make_simulation: Callable[[], Trainable], params: dict | None = None):
        super().__init__()
        self._make_simulation = make_simulation
        self._params = dict(params or {})  # the page's parameters, applied before the first step
        self.simulation: Trainable | None = None
        self._running = False
        self._steps_per_second: float | None = None  # None: as fast as possible
        self._step_credit = 0.0
        self._pending_steps = 0  # steps asked for by Step or a screenshot, done in slices
        self._last_tick = time.perf_counter()
        self._last_emit = 0.0
        self._last_slice_s = 0.0  # how long the last full-speed slice took
        self._mailbox_lock = threading.Lock()
        self._mailbox: dict | None = None
        self._mailbox_signalled = False
        self._timer: QtCore.QTimer | None = None

    def preset(self, params: dict, steps_per_second: float | str | None) -> None:
        """The page's parameters and speed so far; called before the thread starts."""
        self._params = dict(params)
        if steps_per_second is not None:
            self.set_speed(steps_per_second)

    # -- set-up, in the engine thread ------------------------------------------------------
    @QtCore.Slot()
    def start(self) -> None:
        self.simulation, refusals = build_simulation(self._make_simulation, self._params)
        for refusal in refusals:
            self.message.emit(refusal)
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
    @QtCore.Slot(object)
    def apply(self, command: object) -> None:
        """Apply one of the engine commands (desktop/engine_commands.py); anything else is refused."""
        command = commands.check(command)
        if isinstance(command, commands.SetRunning):
            self.set_running(command.running)
        elif isinstance(command, commands.Step):
            self.single_step(command.count)
        elif isinstance(command, commands.Reset):
            self.reset(command.seed)
        elif isinstance(command, commands.SetParam):
            self.set_param(command.name, command.value)
        elif isinstance(command, commands.Configure):
            self.configure(command.params)
        elif isinstance(command, commands.SetSpeed):
            self.set_speed(command.steps_per_second)
        else:
            raise commands.CommandError(f"{type(command).__name__} is not for a page's worker")

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

    def configure(self, params: dict) -> None:
        """Every parameter at once (each refusal said in words), then one snapshot."""
        if self.simulation is None:
            return
        for name, value in params.items():
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
            try:
                self._publish(force=True)  # the page's last snapshot must say training stopped
            except Exception:  # noqa: BLE001  (the snapshot itself may be what fails)
                traceback.print_exc()

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
            self._last_slice_s = time.perf_counter() - start
        else:
            self._last_slice_s = 0.0  # a paced run keeps the plain interval
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
        # Emit now if the next slice would land further past the interval than now falls short of it.
        gap_wanted = max(MIN_SNAPSHOT_GAP_S, SNAPSHOT_INTERVAL_S - self._last_slice_s / 2)
        if not force and now - self._last_emit < gap_wanted:
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


class EngineController(EngineControllerBase):
    """The GUI thread's handle on one engine thread."""

    _start = QtCore.Signal()
    _stop = QtCore.Signal()
    _send = QtCore.Signal(object)

    def __init__(self, make_simulation: Callable[[], Trainable], parent=None):
        super().__init__(make_simulation, parent)
        self._thread = QtCore.QThread()
        self._thread.setObjectName("engine")
        self._worker = EngineWorker(make_simulation)
        self._worker.moveToThread(self._thread)
        self._start.connect(self._worker.start)
        # Blocking: the loop's timer must be stopped in its own thread before the thread ends.
        self._stop.connect(self._worker.stop, QtCore.Qt.BlockingQueuedConnection)
        self._thread.finished.connect(self._worker.deleteLater)
        self._send.connect(self._worker.apply)
        self._worker.snapshot_available.connect(self._take_snapshot, QtCore.Qt.QueuedConnection)
        self._worker.message.connect(self.message)
        self._worker.running_changed.connect(self._on_running_reported)
        self._started = False

    def ensure_started(self) -> None:
        """Start the page's engine thread on first use (its page shown, or a first command), as
        the process engine does: a window no longer builds every page's simulation at once."""
        if self._started:
            return
        self._started = True
        # The thread is not running yet, so the worker's settings can be set from here.
        self._worker.preset(self.params, self.speed)
        self._thread.start()
        if self._thread.isRunning():
            self._start.emit()
        else:  # "QThread::start: Thread creation error", e.g. short of memory: say so, never wait on it
            self.engine_trouble("The engine could not start a thread (the computer may be short of "
                                "memory): close other programs, then restart Distill Lab.")

    def _take_snapshot(self) -> None:
        snapshot = self._worker.take_snapshot()
        if snapshot is not None:
            self.offer_snapshot(snapshot)

    def _command(self, command) -> None:
        self.ensure_started()  # queued after the start, so the worker has its simulation by then
        self._send.emit(command)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the loop and the thread; True when the thread ended in time."""
        if not self._thread.isRunning():
            return True
        self._stop.emit()
        self._thread.quit()
        return self._thread.wait(timeout_ms)
