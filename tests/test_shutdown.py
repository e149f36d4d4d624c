"""Closing the window, Ctrl+Q or Ctrl+C while training stops the engine thread cleanly."""
import os
import signal
import subprocess
import sys
import time

import pytest

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


def test_ctrl_c_in_the_terminal_exits_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen([sys.executable, "-m", "desktop"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(4)
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
