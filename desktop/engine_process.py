"""The engine in a worker process, behind the same signals and methods as the engine thread.

Why: Python threads share one interpreter lock. While the GUI draws a frame the engine thread
waits, and the engine kept only a small part of its headless speed while the plots moved (figures:
docs/performance.md). A process has its own interpreter, so the engine trains on one core while
the GUI draws on the other.

How: one worker process (an ``EngineHost``) serves every page of a window: each page's
simulation is driven there by the very same ``EngineWorker`` as in the thread engine (same
slices, speed control, pending steps, divergence handling), in a ``QCoreApplication``. One process
rather than one a page: each costs ~60 MB, and only the page in view trains anyway. Commands go
down one pipe (the closed set in desktop/engine_commands.py, checked on arrival); snapshots come
up another, one a page at a time: the process sends
a page's next snapshot only after the GUI has taken the last (latest wins, nothing queues). The GUI
side reads the pipe in a small thread that only unpickles and hands over.

Until the process has started (a second or two on a loaded laptop), a page shows the step-0
state of its simulation computed here (the same seed and defaults, so the same numbers).
If the process cannot start, or stops (killed, out of memory), the pages say so in words; Reset
starts a fresh engine, which the page's controller gives every parameter the page has set.

A watchdog: the process sends a heartbeat every HEARTBEAT_INTERVAL_S; silent for longer than
HEARTBEAT_TIMEOUT_S (frozen, stopped with SIGSTOP, starved), the pages say so and Reset replaces
it. Commands are queued for a sending thread, never written from the GUI thread, so a full pipe
cannot block the window; while the engine does not answer they are dropped (the controllers keep
the parameters) and the engine is brought up to date if it answers again. Closing never waits
more than EXIT_LIMIT_S for it (stop, then terminate, then kill).
"""
from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import queue
import sys
import threading
import time
import weakref
from typing import Callable

from PySide6 import QtCore

from desktop import engine_commands as commands
from desktop.engine_controller import EngineControllerBase

STOP_TIMEOUT_S = 0.5  # for the process to end by itself on closing; then it is terminated
TERMINATE_TIMEOUT_S = 0.3  # then killed (a stopped process ignores SIGTERM until continued)
EXIT_LIMIT_S = STOP_TIMEOUT_S + TERMINATE_TIMEOUT_S + 0.3  # the longest closing waits on it
ENGINE_NICENESS = 5  # the engine process's scheduling priority below the GUI's (Unix)
HEARTBEAT_INTERVAL_S = 0.5
HEARTBEAT_TIMEOUT_S = 5.0  # silent this long after its first heartbeat: the engine is not answering
STARTUP_TIMEOUT_S = 60.0  # spawning Python and importing numpy and Qt takes seconds on a busy laptop
OUTBOX_LIMIT = 256  # commands waiting for the pipe; beyond it they are dropped (the pipe is stuck)


def controller_factory(parent: QtCore.QObject) -> Callable:
    """How a window makes its pages' engine controllers: DISTILL_LAB_ENGINE=process (default),
    one worker process shared by the window's pages, or =thread, one thread a page."""
    from desktop.engine_thread import EngineController

    if os.environ.get("DISTILL_LAB_ENGINE", "process").strip().lower() == "thread":
        return lambda simulation_class: EngineController(simulation_class, parent)
    host = EngineHost(parent)
    return lambda simulation_class: EngineProcessController(simulation_class, parent, host=host)


# -- the worker process -----------------------------------------------------------------------
def serve(command_pipe, events) -> None:
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
    reader = _CommandReader(command_pipe)
    reader.command.connect(pages.handle, QtCore.Qt.QueuedConnection)
    reader.closed.connect(app.quit, QtCore.Qt.QueuedConnection)
    pages.stopped.connect(app.quit, QtCore.Qt.QueuedConnection)
    # From the main thread's event loop: a loop that is stuck stops the heartbeat too.
    heartbeat = QtCore.QTimer()
    heartbeat.timeout.connect(lambda: pages.send("", ("heartbeat", None)))
    heartbeat.start(int(HEARTBEAT_INTERVAL_S * 1000))
    pages.send("", ("heartbeat", None))
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

    def __init__(self, command_pipe):
        super().__init__()
        self._commands = command_pipe

    def run(self) -> None:
        try:
            while True:
                self.command.emit(self._commands.recv())
        except Exception:  # noqa: BLE001  (EOF, a broken pipe, garbage: the GUI went away)
            self.closed.emit()


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
    def handle(self, received: object) -> None:
        """One (page key, command) from the GUI, checked before anything is done with it."""
        key = received[0] if isinstance(received, tuple) and len(received) == 2 else None
        if not isinstance(key, str):
            sys.stderr.write(f"distill-lab engine: refused a malformed message {type(received).__name__}\n")
            return
        try:
            command = commands.check(received[1])
        except commands.CommandError as error:
            self.send(key, ("message", f"The engine refused a command: {error}"))
            return
        if isinstance(command, commands.Stop):
            self.stopped.emit()
        elif isinstance(command, commands.Open):
            self._open(key, command)
        elif key in self._bridges:
            self._bridges[key].handle(command)

    def _open(self, key: str, command: commands.Open) -> None:
        from desktop.engine_thread import EngineWorker

        if key in self._bridges:
            return
        worker = EngineWorker(command.simulation_class, command.params)
        bridge = _PageBridge(worker, lambda message: self.send(key, message))
        self._bridges[key] = bridge
        try:
            worker.start()
        except MemoryError:
            self.send(key, ("message", "The engine ran out of memory building this page's "
                                       "simulation: close other programs, then press Reset."))
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

    def handle(self, command: object) -> None:
        if isinstance(command, commands.Taken):
            self._in_flight = False
            if self._waiting:
                self._waiting = False
                self.send_snapshot()
            return
        try:
            self.worker.apply(command)
        except MemoryError:
            self._send(("message", "The engine ran out of memory: close other programs, then press Reset."))
        except Exception as error:  # noqa: BLE001  (the page shows it; the engine lives on)
            self._send(("message", f"The engine failed: {type(error).__name__}: {error}"))


# -- the GUI side -----------------------------------------------------------------------------
class _Outbox:
    """Commands for the pipe, written by a thread of their own: the GUI thread only queues them,
    so an engine that stopped reading (a full pipe) can never block the window."""

    def __init__(self, connection):
        self._queue: queue.Queue = queue.Queue(maxsize=OUTBOX_LIMIT)
        threading.Thread(target=self._write, args=(connection,), name="engine commands",
                         daemon=True).start()

    def put(self, item: tuple) -> bool:
        """Queue ``item``; False when the queue is full (the engine has stopped reading)."""
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            return False

    def empty(self) -> bool:
        return self._queue.empty()

    def close(self) -> None:
        """The writer ends after what is queued (or at once if the pipe broke: the process is gone)."""
        self.put(None)

    def _write(self, connection) -> None:
        try:
            while (item := self._queue.get()) is not None:
                connection.send(item)
        except Exception:  # noqa: BLE001  (a broken pipe: the process ended; the reader reports it)
            pass
        finally:
            connection.close()


@contextlib.contextmanager
def _safe_path():
    """While processes are spawned: they must not import modules from the folder the app was
    started in (a threading.py there would run in the engine); with PYTHONSAFEPATH (Python >= 3.11)
    the spawned interpreter leaves that folder off sys.path. Only then: the app's other
    subprocesses are not the engine's business."""
    previous = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = previous


_HOSTS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _end_engines() -> None:
    # Runs before multiprocessing's own exit handler (registered earlier), which would join a
    # stopped engine for ever: every engine is ended here, by a kill if need be.
    for host in list(_HOSTS):
        try:
            host.shutdown()
        except RuntimeError:  # its Qt side was deleted with the window, which ended its engine
            pass


class EngineHost(QtCore.QObject):
    """The GUI's handle on one worker process; routes each page's news to its controller, and
    watches that the process still answers."""

    _arrived = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._process = None
        self._outbox: _Outbox | None = None
        self._controllers: dict[str, EngineProcessController] = {}
        self._opened: set[str] = set()
        self._closing = False
        self._heard_at = 0.0  # time.monotonic() of the last news from the process (any kind)
        self._heartbeat_seen = False
        self.answering = True  # False: silent past the watchdog's limit
        self._dropped = False  # commands were dropped: the engine needs bringing up to date
        self._arrived.connect(self._on_event, QtCore.Qt.QueuedConnection)
        self._watchdog = QtCore.QTimer(self)
        self._watchdog.setInterval(int(HEARTBEAT_INTERVAL_S * 1000))
        self._watchdog.timeout.connect(self._watch)
        _HOSTS.add(self)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def register(self, controller: EngineProcessController) -> str:
        key = f"page{len(self._controllers)}"
        self._controllers[key] = controller
        return key

    def open(self, key: str) -> None:
        """Start the process if need be, and the page's simulation in it, with all its parameters."""
        if self._closing:
            return
        if self._process is None:
            self._start()
        if self._process is not None and key not in self._opened:
            self._opened.add(key)
            for command in self._controllers[key].opening():
                self.send(key, command)

    def is_open(self, key: str) -> bool:
        return self._process is not None and key in self._opened

    def send(self, key: str, command: object) -> None:
        """Queue a command; never blocks. Dropped while the engine does not answer."""
        if self._outbox is None:
            return
        if not self.answering or not self._outbox.put((key, command)):
            self._dropped = True

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # fork would copy the GUI's Qt state
        command_read, command_write = context.Pipe(duplex=False)
        event_read, event_write = context.Pipe(duplex=False)
        process = context.Process(target=serve, name="distill-lab engine", daemon=True,
                                  args=(command_read, event_write))
        try:
            with _safe_path():
                process.start()  # also starts multiprocessing's resource tracker, the first time
        except Exception as error:  # noqa: BLE001  (no process, e.g. out of memory: say so, keep the window)
            for connection in (command_read, command_write, event_read, event_write):
                connection.close()
            for controller in self._controllers.values():
                controller.engine_trouble(f"The engine could not start ({type(error).__name__}: "
                                          f"{error}); close other programs, then press Reset.")
            return
        command_read.close()
        event_write.close()
        self._process, self._outbox = process, _Outbox(command_write)
        self._opened = set()
        self._heard_at, self._heartbeat_seen = time.monotonic(), False
        self.answering, self._dropped = True, False
        self._watchdog.start()
        threading.Thread(target=self._read_events, args=(event_read, process),
                         name="engine events", daemon=True).start()

    def _read_events(self, events, process) -> None:
        """In a small thread: unpickle what the engine sends and hand it to the GUI thread."""
        try:
            while True:
                event = events.recv()
                self._heard_at = time.monotonic()  # here, so a busy GUI thread is no false alarm
                self._arrived.emit((process, event))
        except Exception:  # noqa: BLE001  (EOF, a broken pipe or garbage: the process is done for)
            try:
                self._arrived.emit((process, (None, "ended", None)))
            except RuntimeError:
                pass  # the window and this host are gone already
        finally:
            events.close()

    def _on_event(self, arrived: tuple) -> None:
        process, (key, kind, value) = arrived
        if process is not self._process:
            return  # news from an engine already replaced
        if kind == "ended":
            self._forget_process()
            for controller in self._controllers.values():
                controller.engine_trouble("The engine stopped unexpectedly: press Reset to start it again.")
        elif kind == "heartbeat":
            self._heartbeat_seen = True
        elif key in self._controllers:
            self._controllers[key].engine_event(kind, value)

    def _watch(self) -> None:
        """The watchdog, every heartbeat interval: report silence, and a recovery."""
        if self._process is None:
            return
        silent = time.monotonic() - self._heard_at
        limit = HEARTBEAT_TIMEOUT_S if self._heartbeat_seen else STARTUP_TIMEOUT_S
        if self.answering and silent > limit:
            self.answering, self._dropped = False, True
            for key in self._opened:
                self._controllers[key].engine_trouble(
                    f"The engine has not answered for {silent:.0f} s (frozen, stopped or starved "
                    f"of CPU): press Reset to replace it.")
        elif silent <= limit and (not self.answering or self._dropped) and self._outbox.empty():
            # It answers again and has read everything queued: bring it up to date.
            self.answering, self._dropped = True, False
            for key in self._opened:
                for command in self._controllers[key].resync():
                    self.send(key, command)
                self.send(key, commands.Taken())  # in case the last one was dropped

    def replace(self) -> None:
        """End a process that does not answer; the next command starts a new one."""
        process = self._process
        self._forget_process()
        if process is not None:
            process.kill()  # it does not answer: nothing to wait for (SIGKILL ends a stopped one too)
            process.join(TERMINATE_TIMEOUT_S)

    def _forget_process(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
        self._process, self._outbox = None, None
        self._opened = set()
        self.answering, self._dropped = True, False
        self._watchdog.stop()

    def stop_soon(self) -> None:
        """Ask the process to end, without waiting."""
        self._closing = True
        if self._process is not None:
            self._watchdog.stop()
        if self._outbox is not None:
            self._outbox.put(("", commands.Stop()))
            self._outbox.close()
            self._outbox = None

    def shutdown(self) -> bool:
        """Stop the process within EXIT_LIMIT_S; True when it ended by itself in time."""
        if self._process is None:
            return True  # nothing to end (and at exit this host's Qt objects may be gone)
        self.stop_soon()
        process, self._process = self._process, None
        process.join(STOP_TIMEOUT_S)
        if not process.is_alive():
            return True
        process.terminate()
        process.join(TERMINATE_TIMEOUT_S)
        if process.is_alive():
            process.kill()  # stopped (SIGSTOP) or ignoring SIGTERM
            process.join(EXIT_LIMIT_S - STOP_TIMEOUT_S - TERMINATE_TIMEOUT_S)
        return False

    def kill(self) -> None:
        """End the process abruptly (what a crash looks like; for tests)."""
        if self._process is not None:
            self._process.kill()


class EngineProcessController(EngineControllerBase):
    """The GUI thread's handle on one page's engine in the worker process (the same interface
    as EngineController). Without a shared host it gets a process of its own."""

    def __init__(self, simulation_class: Callable, parent=None, host: EngineHost | None = None):
        super().__init__(simulation_class, parent)
        self._host = host if host is not None else EngineHost(self)
        self._key = self._host.register(self)

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
        self.offer_snapshot(snapshot)

    def reset(self, seed: int | None = None) -> None:
        if not self._host.answering:
            self._host.replace()  # a frozen engine is replaced, with every parameter the page set
        super().reset(seed)

    # -- news from the engine ------------------------------------------------------------
    def engine_event(self, kind: str, value) -> None:
        if kind == "snapshot":
            self.offer_snapshot(value)
        elif kind == "message":
            self.message.emit(value)
        elif kind == "running":
            self._on_running_reported(value)

    def snapshot_taken(self) -> None:
        if self._host.is_open(self._key):
            self._host.send(self._key, commands.Taken())  # the engine may send the next one

    def _command(self, command) -> None:
        if not self._host.is_open(self._key):
            self.ensure_started()
        self._host.send(self._key, command)

    def stop_soon(self) -> None:
        """Ask the engine to end, without waiting: the window asks, then waits once."""
        self._host.stop_soon()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop the engine process (shared by the window's pages: the first call stops it)."""
        return self._host.shutdown()
