"""Test set-up: Qt runs offscreen, so the suite needs no display; BLAS single-threaded as in the
app; settings go to a throwaway file, never to the user's own; hypothesis replays the same examples
in CI; the one `window` fixture (and `open_window` for a test that needs several windows)."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Most GUI tests drive the engine thread, which starts at once; tests/runtime/test_engine_process.py and
# tests/runtime/test_robustness_exit.py drive the app's default, the engine process.
os.environ.setdefault("DISTILL_LAB_ENGINE", "thread")
os.environ["DISTILL_LAB_SETTINGS"] = os.path.join(tempfile.mkdtemp(prefix="distill-lab-"), "settings.ini")
import engine  # noqa: E402,F401  (sets the BLAS thread count before numpy is imported)

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# In CI every run tries the same examples, so a red run fails the same way when run again; the
# failing example is printed with a blob for @reproduce_failure. Locally each run explores anew.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
if os.environ.get("CI", "").lower() == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def own_settings_file(tmp_path, monkeypatch):
    """Each test gets a fresh settings file: a page, zoom or theme that another test's window saved
    on closing must not be restored into this test's window (the app reopens on the last page)."""
    monkeypatch.setenv("DISTILL_LAB_SETTINGS", str(tmp_path / "settings.ini"))


@pytest.fixture
def open_window(qtbot):
    """Opens main windows for the test and shuts each down afterwards (engines ended).

    ``open_window(size=(1280, 720), pages=("byol",), active=False, theme=None, zoom=None)``: a shown
    window (``size`` None: as the settings file sizes it) whose ``pages`` (keys, or "all": every
    training page) have each drawn a first snapshot, left on the first of them (with a fresh settings
    file it opens on that page, so no other page is built first; ``pages=()``: on the
    page the settings name, nothing waited for); ``active`` waits until it is the active window
    (shortcuts reach only that); theme and zoom come from the settings file (the test's own, fresh:
    light, 1) unless given."""
    from desktop.main_window import MainWindow
    from desktop.pages import all_pages_keys
    from desktop.settings import app_settings, settings_path

    opened = []

    def open_(size=(1280, 720), pages=("byol",), active=False, theme=None, zoom=None):
        first = None if pages == "all" or not pages else pages[0]
        if first not in (None, all_pages_keys()[0]) and not settings_path().exists():
            # Open on the test's first page, as a window reopens on the page it closed on: the
            # first page's panel is then not built for nothing (~0.15 s a window).
            settings = app_settings()
            settings.setValue("window/page", first)
            settings.sync()
        window = MainWindow(theme, zoom)
        qtbot.addWidget(window)
        opened.append(window)
        if size is not None:
            window.resize(*size)
        window.show()
        if active:
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        keys = list(window.controllers) if pages == "all" else list(pages)
        for key in keys:
            window.show_page(key)  # an engine starts when its page is first shown
            controller = window.controllers[key]
            qtbot.waitUntil(lambda: controller.latest is not None, timeout=30000)
        if keys:
            window.show_page(keys[0])
        return window

    yield open_
    for window in opened:
        window.shutdown()


@pytest.fixture
def window(open_window, request):
    """A shown main window, 1280x720, light, zoom 1, the BYOL page's first snapshot in; shut down
    after the test. ``@pytest.mark.window(size=..., pages=..., active=True)`` opens it otherwise
    (the arguments of ``open_window``)."""
    marker = request.node.get_closest_marker("window")
    return open_window(**(marker.kwargs if marker else {}))


@pytest.fixture
def warning_boxes(monkeypatch):
    """The texts of the warning message boxes the app shows during the test, recorded instead of
    shown (a modal box would block the test)."""
    from PySide6 import QtWidgets

    texts = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: texts.append(args[2]))
    return texts
