"""The engine in a worker process, behind the same signals and methods as the engine thread.

Why: Python threads share one interpreter lock. While the GUI draws a frame the engine thread
waits, and the engine kept only a small part of its headless speed while the plots moved (figures:
docs/performance.md). A process has its own interpreter, so the engine trains on one core while
the GUI draws on the other.

How: one worker process (an ``EngineHost``) serves every page of a window: each page's
simulation is driven there by the very same ``EngineWorker`` as in the thread engine (same
slices, speed control, pending steps, divergence handling), in a ``QCoreApplication``. One process
rather than one a page: each costs ~60 MB, and only the page in view trains anyway. Commands go
down one pipe as small tuples; snapshots come up another, one a page at a time: the process sends
a page's next snapshot only after the GUI has taken the last (latest wins, nothing queues). The GUI
side reads the pipe in a small thread that only unpickles and hands over.

Until the process has started (a second or two on a loaded laptop), a page shows the step-0
state of its simulation computed here (the same seed and defaults, so the same numbers).
If the process cannot start, or stops (killed, out of memory), the pages say so in words; Reset
starts a fresh engine.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from typing import Callable

from PySide6 import QtCore

STOP_TIMEOUT_S = 0.5  # then the process is terminated: closing must not wait longer
ENGINE_NICENESS = 5  # the engine process's scheduling priority below the GUI's (Unix)


def controller_factory(parent: QtCore.QObject) -> Callable:
    """How a window makes its pages' engine controllers: DISTILL_LAB_ENGINE=process (default),
    one worker process shared by the window's pages, or =thread, one thread a page."""
    from desktop.engine_thread import EngineController

    if os.environ.get("DISTILL_LAB_ENGINE", "process").strip().lower() == "thread":
        return lambda simulation_class: EngineController(simulation_class, parent)
    host = EngineHost(parent)
    return lambda simulation_class: EngineProcessController(simulation_class, parent, host=host)


# -- the worker process -----------------------------------------------------------------------
def serve(commands, events) -> None:
    """The worker process's main function: one EngineWorker a page, driven by the command pipe."""
    import signal

    import engine  # noqa: F401  (single-threaded BLAS before numpy loads)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the GUI's to handle
    if hasattr(os, "nice"):
        # What the hall sees comes first: on a busy laptop the GUI wins the CPU, the engine takes
        # the rest (on a free core this costs the engine nothing).
        os.nice(ENGINE_NICENESS)
    app = QtCore.QCoreApplication([])
    pages = _PageWorkers(events)
    reader = _CommandReader(commands)
    reader.command.connect(pages.handle, QtCore.Qt.QueuedConnection)
    reader.closed.connect(app.quit, QtCore.Qt.QueuedConnection)
    pages.stopped.connect(app.quit, QtCore.Qt.QueuedConnection)
    threading.Thread(target=reader.run, name="commands", daemon=True).start()
    app.exec()
    pages.stop_all()
    # Nothing left to save: skip the interpreter's teardown of numpy and Qt (a few hundred ms on
    # a loaded laptop), so closing the window is not kept waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _CommandReader(QtCore.QObject):
    """Blocks on the command pipe in its own thread and hands each command to the main thread."""

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


class _PageWorkers(QtCore.QObject):
    """The pages' EngineWorkers in the worker process, and the pipe their news goes up."""

    stopped = QtCore.Signal()

    def __init__(self, events):
        super().__init__()
        self._events = events
        self._bridges: dict[str, _PageBridge] = {}

    def send(self, key: str, message: tuple) -> None:
        try:
            self._events.send((key, *message))
        except OSError:  # BrokenPipeError included: the GUI is gone
            self.stopped.emit()

    @QtCore.Slot(object)
    def handle(self, command: tuple) -> None:
        key, name, *arguments = command
        if name == "stop":
            self.stopped.emit()
        elif name == "open":
            self._open(key, arguments[0])
        elif key in self._bridges:
            self._bridges[key].handle(name, arguments)

    def _open(self, key: str, simulation_class: Callable) -> None:
        from desktop.engine_thread import EngineWorker

        if key in self._bridges:
            return
        worker = EngineWorker(simulation_class)
        bridge = _PageBridge(worker, lambda message: self.send(key, message))
        self._bridges[key] = bridge
        try:
            worker.start()
        except Exception as error:  # noqa: BLE001  (the page says so; the others go on)
            self.send(key, ("message", f"The engine could not build this page's simulation: "
                                       f"{type(error).__name__}: {error}"))

    def stop_all(self) -> None:
        for bridge in self._bridges.values():
            bridge.worker.stop()


class _PageBridge(QtCore.QObject):
    """One page: applies its commands to its worker, sends its snapshots one in flight at a time."""

    def __init__(self, worker, send: Callable[[tuple], None]):
        super().__init__()
        self.worker = worker
        self._send = send
        self._in_flight = False  # a snapshot sent and not yet taken by the GUI
        self._waiting = False  # the worker has a newer one in its mailbox
        worker.snapshot_available.connect(self.send_snapshot)
        worker.message.connect(lambda text: send(("message", text)))
        worker.running_changed.connect(lambda running: send(("running", running)))

    @QtCore.Slot()
    def send_snapshot(self) -> None:
        if self._in_flight:
            self._waiting = True
            return
        snapshot = self.worker.take_snapshot()
        if snapshot is not None:
            self._in_flight = True
            self._send(("snapshot", snapshot))

    def handle(self, name: str, arguments: list) -> None:
        if name == "taken":
            self._in_flight = False
            if self._waiting:
                self._waiting = False
                self.send_snapshot()
            return
        try:
            getattr(self.worker, name)(*arguments)
        except Exception as error:  # noqa: BLE001  (the page shows it; the engine lives on)
            self._send(("message", f"The engine failed: {type(error).__name__}: {error}"))


# -- the GUI side -----------------------------------------------------------------------------
class EngineHost(QtCore.QObject):
    """The GUI's handle on one worker process; routes each page's news to its controller."""

    _arrived = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._process = None
        self._commands = None
        self._controllers: dict[str, EngineProcessController] = {}
        self._opened: set[str] = set()
        self._closing = False
        self._arrived.connect(self._on_event, QtCore.Qt.QueuedConnection)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def register(self, controller: EngineProcessController) -> str:
        key = f"page{len(self._controllers)}"
        self._controllers[key] = controller
        return key

    def open(self, key: str) -> None:
        """Start the process if need be, and the page's simulation in it."""
        if self._closing:
            return
        if self._process is None:
            self._start()
        if self._process is not None and key not in self._opened:
            self._opened.add(key)
            self.send(key, ("open", self._controllers[key].simulation_class))

    def is_open(self, key: str) -> bool:
        return self._process is not None and key in self._opened

    def send(self, key: str, command: tuple) -> None:
        if self._commands is None:
            return
        try:
            self._commands.send((key, *command))
        except OSError:
            pass  # the reader thread reports the ended process

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # fork would copy the GUI's Qt state
        command_read, command_write = context.Pipe(duplex=False)
        event_read, event_write = context.Pipe(duplex=False)
        process = context.Process(target=serve, name="distill-lab engine", daemon=True,
                                  args=(command_read, event_write))
        try:
            process.start()
        except Exception as error:  # noqa: BLE001  (no process: say so, keep the window)
            for controller in self._controllers.values():
                controller.message.emit(f"The engine could not start: {error}")
            return
        command_read.close()
        event_write.close()
        self._process, self._commands = process, command_write
        self._opened = set()
        threading.Thread(target=self._read_events, args=(event_read, process),
                         name="engine events", daemon=True).start()

    def _read_events(self, events, process) -> None:
        """In a small thread: unpickle what the engine sends and hand it to the GUI thread."""
        try:
            while True:
                self._arrived.emit(events.recv())
        except (EOFError, OSError):
            try:
                self._arrived.emit((None, "ended", process))
            except RuntimeError:
                pass  # the window and this host are gone already
        except RuntimeError:
            pass
        finally:
            events.close()

    def _on_event(self, event: tuple) -> None:
        key, kind, value = event
        if kind == "ended":
            if value is self._process:
                self._process, self._commands = None, None
                self._opened = set()
                for controller in self._controllers.values():
                    controller.engine_ended()
        elif key in self._controllers and self._process is not None:
            self._controllers[key].engine_event(kind, value)

    def stop_soon(self) -> None:
        """Ask the process to end, without waiting."""
        self._closing = True
        self.send("", ("stop",))
        if self._commands is not None:
            self._commands.close()
            self._commands = None

    def shutdown(self) -> bool:
        """Stop the process; True when it ended by itself in time."""
        process, self._process = self._process, None
        self.stop_soon()
        if process is None:
            return True
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join(1.0)
            return False
        return True

    def kill(self) -> None:
        """End the process abruptly (what a crash looks like; for tests)."""
        if self._process is not None:
            self._process.kill()


class EngineProcessController(QtCore.QObject):
    """The GUI thread's handle on one page's engine in the worker process (the same interface
    as EngineController). Without a shared host it gets a process of its own."""

    snapshot = QtCore.Signal(object)
    message = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, simulation_class: Callable, parent=None, host: EngineHost | None = None):
        super().__init__(parent)
        self.simulation_class = simulation_class
        self.running = False
        self.latest: dict | None = None
        self._host = host if host is not None else EngineHost(self)
        self._key = self._host.register(self)
        self._pending_snapshot: dict | None = None
        # Frame pacing as the thread controller does: after a frame, the event loop gets a turn.
        self._frame_gap = QtCore.QTimer(self)
        self._frame_gap.setSingleShot(True)
        self._frame_gap.setInterval(0)
        self._frame_gap.timeout.connect(self._deliver)

    @property
    def engine_pid(self) -> int | None:
        return self._host.pid

    def ensure_started(self) -> None:
        """Start this page's engine if it is not running (first use, or after it stopped)."""
        if self._host.is_open(self._key):
            return
        if self.latest is None:
            self._show_first_state()
        self._host.open(self._key)

    def _show_first_state(self) -> None:
        # The step-0 state, computed here while the process starts: the same class, seed and
        # defaults as the process will use, so the page is not blank for a second or two.
        try:
            snapshot = self.simulation_class().snapshot()
        except Exception:  # noqa: BLE001  (the process will say what is wrong)
            return
        snapshot["running"] = False
        self._pending_snapshot = snapshot
        self._deliver(answer=False)

    # -- news from the engine ------------------------------------------------------------
    def engine_event(self, kind: str, value) -> None:
        if kind == "snapshot":
            self._pending_snapshot = value
            if not self._frame_gap.isActive():
                self._deliver()
        elif kind == "message":
            self.message.emit(value)
        elif kind == "running":
            self.running = value
            self.running_changed.emit(value)

    def engine_ended(self) -> None:
        if self.running:
            self.running = False
            self.running_changed.emit(False)
        self.message.emit("The engine stopped unexpectedly: press Reset to start it again.")

    def _deliver(self, answer: bool = True) -> None:
        snapshot, self._pending_snapshot = self._pending_snapshot, None
        if snapshot is None:
            return
        self._frame_gap.start()
        if answer:
            self._send(("taken",))  # the engine may send the next while this one is drawn
        self.latest = snapshot
        self.snapshot.emit(snapshot)

    def _send(self, command: tuple) -> None:
        if not self._host.is_open(self._key) and command[0] != "taken":
            self.ensure_started()
        self._host.send(self._key, command)

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
        self._send(("reset", seed))

    def set_param(self, name: str, value: object) -> None:
        self._send(("set_param", name, value))

    def set_speed(self, steps_per_second: float | None) -> None:
        self._send(("set_speed", steps_per_second))

    def stop_soon(self) -> None:
        """Ask the engine to end, without waiting: the window asks, then waits once."""
        self._host.stop_soon()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the engine process (shared by the window's pages: the first call stops it)."""
        return self._host.shutdown()
