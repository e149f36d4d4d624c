"""A main window as the GUI tests open it: 1280x720, light theme, zoom 1, first snapshot drawn."""
from desktop.main_window import MainWindow
from widgets.theme import LIGHT


def new_window(qtbot) -> MainWindow:
    window = MainWindow(LIGHT, 1.0)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitUntil(lambda: window.controllers["byol"].latest is not None, timeout=10000)
    return window
