"""The engine in a worker process, behind the same signals and methods as the engine thread.

Why: Python threads share one interpreter lock. While the GUI draws a frame the engine thread
waits, and the engine kept only 20-30% of its headless speed while the plots moved (see
docs/performance.md). A process has its own interpreter, so the engine trains on one core while
the GUI draws on the other.

How: the child runs the very same ``EngineWorker`` as the thread (same slices, speed control,
pending steps, divergence handling) in a ``QCoreApplication``. Commands go down one pipe as small
tuples; snapshots come up another, one at a time: the child sends the next only after the GUI has
taken the last (latest wins, nothing queues). The GUI side reads the pipe in a small thread that
only unpickles and hands over.

If the process cannot start, or stops (killed, out of memory), the page says so in words; Reset
starts a fresh engine.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from typing import Callable

from PySide6 import QtCore

START_TIMEOUT_S = 30.0  # a loaded laptop can take seconds to spawn Python and import numpy
STOP_TIMEOUT_S = 0.5  # then the process is terminated: closing must not wait longer


def controller_class():
    """The engine controller the app uses: DISTILL_LAB_ENGINE=process (default) or thread."""
    from desktop.engine_thread import EngineController

    choice = os.environ.get("DISTILL_LAB_ENGINE", "process").strip().lower()
    return EngineController if choice == "thread" else EngineProcessController


# -- the child process ------------------------------------------------------------------------
def serve(simulation_class: Callable, commands, events) -> None:
    """The worker process's main function: an EngineWorker driven by commands from the pipe."""
    import signal

    import engine  # noqa: F401  (single-threaded BLAS before numpy loads)

    from desktop.engine_thread import EngineWorker

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the GUI's to handle

    app = QtCore.QCoreApplication([])
    worker = EngineWorker(simulation_class)
    bridge = _ChildBridge(worker, events)
    reader = _CommandReader(commands)
    reader.command.connect(bridge.handle, QtCore.Qt.QueuedConnection)
    reader.closed.connect(app.quit, QtCore.Qt.QueuedConnection)
    worker.snapshot_available.connect(bridge.send_snapshot)
    worker.message.connect(lambda text: bridge.send(("message", text)))
    worker.running_changed.connect(lambda running: bridge.send(("running", running)))
    bridge.stopped.connect(app.quit, QtCore.Qt.QueuedConnection)
    worker.start()
    threading.Thread(target=reader.run, name="commands", daemon=True).start()
    app.exec()
    worker.stop()
    # Nothing left to save: skip the interpreter's teardown of numpy and Qt (a few hundred ms on
    # a loaded laptop), so closing the window is not kept waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _CommandReader(QtCore.QObject):
    """Blocks on the command pipe in its own thread and hands each command to the worker's."""

    command = QtCore.Signal(object)
    closed = QtCore.Signal()

    def __init__(self, commands):
        super().__init__()
        self._commands = commands

    def run(self) -> None:
        try:
            while True:
                self.command.emit(self._commands.recv())
        except (EOFError, OSError):
            self.closed.emit()  # the GUI went away: end the process


class _ChildBridge(QtCore.QObject):
    """Applies commands to the worker and sends its snapshots up, one in flight at a time."""

    stopped = QtCore.Signal()

    def __init__(self, worker, events):
        super().__init__()
        self._worker = worker
        self._events = events
        self._in_flight = False  # a snapshot sent and not yet taken by the GUI
        self._waiting = False  # the worker has a newer one in its mailbox

    def send(self, message: tuple) -> None:
        try:
            self._events.send(message)
        except (OSError, BrokenPipeError):
            self.stopped.emit()

    @QtCore.Slot()
    def send_snapshot(self) -> None:
        if self._in_flight:
            self._waiting = True
            return
        snapshot = self._worker.take_snapshot()
        if snapshot is not None:
            self._in_flight = True
            self.send(("snapshot", snapshot))

    @QtCore.Slot(object)
    def handle(self, command: tuple) -> None:
        name, *arguments = command
        if name == "taken":
            self._in_flight = False
            if self._waiting:
                self._waiting = False
                self.send_snapshot()
        elif name == "stop":
            self._worker.stop()
            self.stopped.emit()
        else:
            try:
                getattr(self._worker, name)(*arguments)
            except Exception as error:  # noqa: BLE001  (the page shows it; the engine lives on)
                self.send(("message", f"The engine failed: {type(error).__name__}: {error}"))


# -- the GUI side -----------------------------------------------------------------------------
class EngineProcessController(QtCore.QObject):
    """The GUI thread's handle on one engine process (the same interface as EngineController)."""

    snapshot = QtCore.Signal(object)
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)
    _arrived = QtCore.Signal(object)

    def __init__(self, make_simulation: Callable, parent=None):
        super().__init__(parent)
        self.running = False
        self.latest: dict | None = None
        self._make_simulation = make_simulation
        self._process = None
        self._commands = None
        self._pending_snapshot: dict | None = None
        # Frame pacing as the thread controller does: after a frame, the event loop gets a turn.
        self._frame_gap = QtCore.QTimer(self)
        self._frame_gap.setSingleShot(True)
        self._frame_gap.setInterval(0)
        self._frame_gap.timeout.connect(self._deliver)
        self._arrived.connect(self._on_event, QtCore.Qt.QueuedConnection)
        self._started = False  # spawned on first use: a page never opened costs nothing

    def ensure_started(self) -> None:
        """Start the engine process if it is not running (first use, or after it stopped)."""
        if self._process is None:
            self._start_process()

    @property
    def engine_pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _start_process(self) -> None:
        self._started = True
        context = multiprocessing.get_context("spawn")  # fork would copy the GUI's Qt state
        command_read, command_write = context.Pipe(duplex=False)
        event_read, event_write = context.Pipe(duplex=False)
        self._process = context.Process(target=serve, name="distill-lab engine", daemon=True,
                                        args=(self._make_simulation, command_read, event_write))
        try:
            self._process.start()
        except Exception as error:  # noqa: BLE001  (no process: say so, keep the window)
            self._process = None
            self.message.emit(f"The engine could not start: {error}")
            return
        command_read.close()
        event_write.close()
        self._commands = command_write
        threading.Thread(target=self._read_events, args=(event_read, self._process), name="engine events",
                         daemon=True).start()

    def _read_events(self, events, process) -> None:
        """In a small thread: unpickle what the engine sends and hand it to the GUI thread."""
        try:
            while True:
                self._arrived.emit(events.recv())
        except (EOFError, OSError):
            try:
                self._arrived.emit(("ended", process))
            except RuntimeError:
                pass  # the window and this controller are gone already
        except RuntimeError:
            pass
        finally:
            events.close()

    def _on_event(self, event: tuple) -> None:
        kind, value = event
        if kind == "snapshot":
            self._pending_snapshot = value
            if not self._frame_gap.isActive():
                self._deliver()
        elif kind == "message":
            self.message.emit(value)
        elif kind == "running":
            self.running = value
            self.running_changed.emit(value)
        elif kind == "ended" and value is self._process:
            self._process, self._commands = None, None
            if self.running:
                self.running = False
                self.running_changed.emit(False)
            self.message.emit("The engine stopped unexpectedly: press Reset to start it again.")

    def _deliver(self) -> None:
        snapshot, self._pending_snapshot = self._pending_snapshot, None
        if snapshot is None:
            return
        self._frame_gap.start()
        self._send(("taken",))  # the engine may send the next while this one is drawn
        self.latest = snapshot
        self.snapshot.emit(snapshot)

    def _send(self, command: tuple) -> None:
        if not self._started:
            self._start_process()
        if self._commands is None:
            return
        try:
            self._commands.send(command)
        except (OSError, BrokenPipeError):
            pass  # the reader thread reports the ended process

    # -- the EngineController interface --------------------------------------------------
    def play(self) -> None:
        self._send(("set_running", True))

    def pause(self) -> None:
        self._send(("set_running", False))

    def toggle(self) -> None:
        self._send(("set_running", not self.running))

    def step(self, count: int = 1) -> None:
        self._send(("single_step", count))

    def reset(self, seed: int | None = None) -> None:
        self.ensure_started()  # after a crash: a fresh engine, then the seed asked for
        self._send(("reset", seed))

    def set_param(self, name: str, value: object) -> None:
        self._send(("set_param", name, value))

    def set_speed(self, steps_per_second: float | None) -> None:
        self._send(("set_speed", steps_per_second))

    def stop_soon(self) -> None:
        """Ask the engine to end, without waiting: the window asks all its engines, then waits."""
        self._started = True  # closing must not start an engine
        self._send(("stop",))
        if self._commands is not None:
            self._commands.close()
            self._commands = None

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the engine process; True when it ended by itself in time."""
        process, self._process = self._process, None
        if process is None:
            return True
        self.stop_soon()
        process.join(min(timeout_ms / 1000, STOP_TIMEOUT_S))
        if process.is_alive():
            process.terminate()
            process.join(1.0)
            return False
        return True
