"""Main windows and snapshots as the GUI tests use them."""
from desktop.main_window import MainWindow
from widgets.theme import LIGHT


def open_window(qtbot, size=(1280, 720), theme=None, zoom=None) -> MainWindow:
    """A shown main window of ``size`` (theme and zoom from the settings unless given)."""
    window = MainWindow(theme, zoom)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    return window


def new_window(qtbot) -> MainWindow:
    """1280x720, light theme, zoom 1, the BYOL page's first snapshot in."""
    window = open_window(qtbot, theme=LIGHT, zoom=1.0)
    qtbot.waitUntil(lambda: window.controllers["byol"].latest is not None, timeout=10000)
    return window


def wait_snapshot(qtbot, controller, condition, timeout=30000):
    """Wait until the controller's latest snapshot satisfies ``condition``; returns that snapshot."""
    found = {}

    def check():
        latest = controller.latest
        assert latest is not None and condition(latest)
        found["snapshot"] = latest

    qtbot.waitUntil(check, timeout=timeout)
    return found["snapshot"]
