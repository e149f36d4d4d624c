"""Starting the application, and rendering a page offscreen for screenshots."""
from __future__ import annotations

import gc
import os
import signal
import sys
import time

from PySide6 import QtCore, QtGui, QtWidgets


def _display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


_IGNORED_QT_MESSAGES = (
    # The offscreen platform says this on every window it shows; it is not a fault of ours.
    "This plugin does not support propagateSizeHints()",
)
_previous_handler = None


def _qt_message_handler(mode, context, message):
    if message in _IGNORED_QT_MESSAGES:
        return
    if _previous_handler is not None:
        _previous_handler(mode, context, message)
    else:
        sys.stderr.write(message + "\n")


def application() -> QtWidgets.QApplication:
    """The one QApplication, created on first use."""
    global _previous_handler
    app = QtWidgets.QApplication.instance()
    if app is None:
        _previous_handler = QtCore.qInstallMessageHandler(_qt_message_handler)
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("Distill Lab")
        app.setOrganizationName("Distill Lab")
    return app


def run_app() -> int:
    """Open the main window and run until it is closed (or Ctrl+C in the terminal)."""
    if not _display_available():
        sys.stderr.write(
            "distill-lab: no display found. Run it on a desktop, or offscreen with "
            "QT_QPA_PLATFORM=offscreen, or use the command line: distill-lab run byol --help\n")
        return 1
    # Ctrl+C in the terminal, SIGTERM (a logout, `kill`) and SIGHUP (the terminal closed) close the
    # window cleanly, even while it is being built: the zoom and page are saved, no engine is left.
    window = None
    interrupted = []

    def on_interrupt(*_):
        interrupted.append(True)
        if window is not None:
            # Close from the event loop, not here: Python runs this handler between two bytecodes,
            # possibly inside a paint, and closing mid-paint makes Qt warn "QBackingStore::flush()
            # called for QWidgetWindow which does not have a handle".
            QtCore.QTimer.singleShot(0, window.close)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):  # Windows has no SIGHUP
            signal.signal(getattr(signal, name), on_interrupt)
    app = application()
    from desktop.main_window import MainWindow

    window = MainWindow()
    if interrupted:
        window.shutdown()
        return 0
    window.resize(1280, 760)
    window.show()
    # The timer lets Python run its signal handler while Qt's event loop waits.
    heartbeat = QtCore.QTimer()
    heartbeat.start(200)
    heartbeat.timeout.connect(lambda: None)
    code = app.exec()
    window.shutdown()
    # Python's final garbage collections over the modules Qt and pyqtgraph load take half of the
    # exit budget (docs/performance.md); the process is ending, so skip them (the OS frees the memory).
    gc.freeze()
    return code


def render_page(page_key: str, steps: int | None, size: tuple[int, int],
                settings: dict[str, object] | None = None, theme: str | None = None,
                zoom: float | None = None) -> QtGui.QImage:
    """Build the window offscreen, train the page for ``steps`` steps and grab it (theme name and
    zoom: the settings file's unless given)."""
    app = application()
    from desktop.main_window import MainWindow
    from widgets.theme import THEMES

    window = MainWindow(THEMES[theme] if theme else None, zoom)
    window.resize(*size)
    window.show_page(page_key)
    window.show()
    controller = window.controllers.get(page_key)
    panel = window.panels[page_key]
    for name, value in (settings or {}).items():
        panel.apply_param(name, value)
    if controller is not None:
        from desktop.pages import page

        target = page(page_key).simulation_class.DEFAULT_STEPS if steps is None else steps
        wait_for_step(app, controller, target)
    app.processEvents()
    image = window.grab().toImage()
    window.close()
    return image


def wait_for_step(app, controller, target: int, timeout_s: float = 600.0) -> dict:
    """Ask the engine thread for steps and wait until a snapshot shows ``target`` steps done."""
    deadline = time.monotonic() + timeout_s
    while controller.latest is None and time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.AllEvents, 50)
    done = controller.latest["step"] if controller.latest else 0
    if target > done:
        controller.step(target - done)
    while time.monotonic() < deadline:
        latest = controller.latest
        if latest is not None and (latest["step"] >= target or latest["diverged_at_step"] is not None):
            return latest
        app.processEvents(QtCore.QEventLoop.AllEvents, 50)
    raise TimeoutError(f"the engine did not reach step {target}")
