"""Closing the window, Ctrl+Q, Ctrl+C, SIGTERM or SIGHUP while training stops the engine cleanly."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from robustness_helpers import children

SCRIPT = """
import sys
from PySide6 import QtCore
from desktop.app import application
from desktop.main_window import MainWindow
app = application()
window = MainWindow()
window.show()
window.controllers["byol"].play()
QtCore.QTimer.singleShot(1500, window.{how})
code = app.exec()
print("running at close:", window.controllers["byol"].running)
sys.exit(code)
"""


def run_and_close(how: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", SCRIPT.format(how=how)], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.soak  # over ~5 s: starts the app in a process
def test_close_while_training_exits_cleanly():
    result = run_and_close("close")
    assert result.returncode == 0, result.stderr
    assert "running at close: True" in result.stdout
    assert result.stderr.strip() == "", result.stderr


def wait_for_a_child_process(pid: int, timeout_s: float = 30.0) -> None:
    """Until the app has started its engine process (its window is up); a fixed 4 s elsewhere."""
    if not Path(f"/proc/{pid}/task").exists():
        time.sleep(4)
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not children(pid):
        time.sleep(0.05)


def test_ctrl_c_in_the_terminal_exits_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISTILL_LAB_ENGINE="process")
    process = subprocess.Popen([sys.executable, "-m", "desktop"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_for_a_child_process(process.pid)
    time.sleep(0.5)  # into the event loop
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert time.monotonic() - started < 5
    assert "Traceback" not in err and "QThread" not in err, err


def test_no_display_gets_a_clear_message():
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "desktop"], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 1
    assert "no display" in result.stderr and "offscreen" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


FROZEN_ENGINE_SCRIPT = """
import os, signal, sys
from PySide6 import QtCore, QtWidgets
from desktop import app as desktop_app

def window():
    return next(w for w in QtWidgets.QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")

def ready():
    controller = window().controllers["byol"]
    if controller.engine_pid is None or controller.latest is None:
        QtCore.QTimer.singleShot(100, ready)
        return
    window().show_page("dino")  # page and zoom chosen since launch: must be saved on SIGTERM/SIGHUP
    window().set_zoom(1.5)
    os.kill(controller.engine_pid, signal.SIGSTOP)  # a frozen engine must not keep the app alive
    print("engine", controller.engine_pid, flush=True)

desktop_app.application()
QtCore.QTimer.singleShot(300, ready)
sys.exit(desktop_app.run_app())
"""


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.soak  # over ~5 s: starts the app in a process
@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_the_layout_and_leave_no_engine(how, tmp_path):
    settings = tmp_path / "settings.ini"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISTILL_LAB_ENGINE="process",
               DISTILL_LAB_SETTINGS=str(settings))
    process = subprocess.Popen([sys.executable, "-c", FROZEN_ENGINE_SCRIPT], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    engine_pid = None
    try:
        line = process.stdout.readline()
        assert line.startswith("engine "), (line, process.stderr.read() if process.poll() is not None else "")
        engine_pid = int(line.split()[1])
        process.send_signal(getattr(signal, how))
        started = time.monotonic()
        out, err = process.communicate(timeout=30)
        assert time.monotonic() - started < 5
        assert process.returncode == 0, err
        assert "Traceback" not in err, err
        assert not _pid_alive(engine_pid), "the stopped engine process was left behind"
        text = settings.read_text()
        assert "page=dino" in text and "zoom=1.5" in text, text
    finally:
        if process.poll() is None:
            process.kill()
        if engine_pid is not None and _pid_alive(engine_pid):
            os.kill(engine_pid, signal.SIGKILL)
