"""The BYOL page in the app: controls reach the running engine, snapshots reach the plots, and the
published outcomes appear in the app as they do headless."""
import numpy as np
import pytest
from PySide6 import QtCore

from desktop.app import application, wait_for_step
import window_helpers


def byol(window):
    return window.panels["byol"], window.controllers["byol"]


def wait_snapshot(qtbot, controller, condition, timeout=20000):
    return window_helpers.wait_snapshot(qtbot, controller, condition, timeout)


def test_first_snapshot_is_drawn(qtbot, window):
    panel, controller = byol(window)
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    assert snapshot["params"]["ema"] is True
    assert panel.verdict.text().startswith("UNTRAINED")  # nothing is judged before training
    assert "stop-gradient on" in panel.caption.text()


def test_checkbox_reaches_the_engine_while_running(qtbot, window):
    panel, controller = byol(window)
    wait_snapshot(qtbot, controller, lambda s: True)
    qtbot.mouseClick(panel.transport.play_button, QtCore.Qt.LeftButton)
    wait_snapshot(qtbot, controller, lambda s: s["running"] and s["step"] > 20)
    check = panel.controls["stop_gradient"]
    check.click()
    assert not check.isChecked()
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["params"]["stop_gradient"] is False)
    assert snapshot["running"]
    assert "stop-gradient OFF" in panel.caption.text()
    qtbot.mouseClick(panel.transport.play_button, QtCore.Qt.LeftButton)
    wait_snapshot(qtbot, controller, lambda s: not s["running"])
    assert not controller.running


def test_slider_change_reaches_the_engine(qtbot, window):
    panel, controller = byol(window)
    wait_snapshot(qtbot, controller, lambda s: True)
    slider = panel.controls["ema_momentum"]
    slider.slider.setValue(0)  # the left end: 0.9
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["params"]["ema_momentum"] == 0.9)
    assert slider.value_label.text() == "0.9"
    assert snapshot["params"]["ema_momentum"] == 0.9


def test_step_and_reset_reproduce_the_seed(qtbot, window):
    panel, controller = byol(window)
    first = wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    qtbot.mouseClick(panel.transport.step_button, QtCore.Qt.LeftButton)
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 1)
    panel.transport.seed.setValue(0)
    qtbot.mouseClick(panel.transport.reset_button, QtCore.Qt.LeftButton)
    again = wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    np.testing.assert_array_equal(first["embedding_2d"], again["embedding_2d"])
    panel.transport.seed.setValue(5)
    qtbot.mouseClick(panel.transport.reset_button, QtCore.Qt.LeftButton)
    other = wait_snapshot(qtbot, controller, lambda s: s["params"]["seed"] == 5)
    assert not np.array_equal(first["embedding_2d"], other["embedding_2d"])


def test_shortcuts_drive_the_current_page(qtbot, window):
    panel, controller = byol(window)
    wait_snapshot(qtbot, controller, lambda s: True)
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key_Right)
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 1)
    qtbot.keyClick(window, QtCore.Qt.Key_R)
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)


@pytest.mark.phenomena
def test_all_guards_off_collapse_in_the_app(qtbot, window):
    panel, controller = byol(window)
    wait_snapshot(qtbot, controller, lambda s: True)
    for name in ("ema", "stop_gradient", "predictor"):
        panel.controls[name].click()
    wait_snapshot(qtbot, controller, lambda s: not any(s["params"][k] for k in ("ema", "stop_gradient", "predictor")))
    snapshot = wait_for_step(application(), controller, 400)
    spread = snapshot["latest"]["std_normalized"] * np.sqrt(snapshot["dim"])
    assert spread < 0.1
    assert panel.verdict.text().startswith("COLLAPSED")


@pytest.mark.phenomena
def test_all_guards_on_stay_healthy_in_the_app(qtbot, window):
    panel, controller = byol(window)
    snapshot = wait_for_step(application(), controller, 1500)
    spread = snapshot["latest"]["std_normalized"] * np.sqrt(snapshot["dim"])
    assert spread >= 0.3 and snapshot["latest"]["effective_rank"] >= 2
    qtbot.waitUntil(lambda: panel.verdict.text().startswith("HEALTHY"), timeout=5000)
