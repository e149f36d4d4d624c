"""The DINO page in the app: its switches and sliders reach the running engine, the keyboard
moves the teacher temperature, and the live verdict follows the metrics."""
import math

import pytest
from PySide6 import QtCore

from desktop.app import application, wait_for_step
pytestmark = pytest.mark.window(pages=("dino",))


def test_page_draws_its_first_snapshot(qtbot, window):
    panel = window.panels["dino"]
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=5000)
    assert "centering on" in panel.caption.text()
    k = panel.snapshot["num_prototypes"]
    assert panel.entropy_log_k.value() == pytest.approx(math.log(k))


def test_the_log_k_labels_stay_inside_their_small_plots(qtbot, window):
    # At zoom 1 on 1280x720 these plots are under a hundred pixels tall: a label above the line at
    # the top of a fixed range was cut in half.
    panel = window.panels["dino"]
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=5000)
    plots = ((panel.entropy_plot, panel.entropy_log_k), (panel.usage_entropy_plot, panel.usage_log_k))

    def inside() -> list:  # the plots whose label pokes out of the top (a label moves a moment later)
        return [plot.title for plot, line in plots
                if line.label.sceneBoundingRect().top()
                < plot.getPlotItem().getViewBox().sceneBoundingRect().top() - 1]

    for plot, _ in plots:
        assert plot.getPlotItem().getViewBox().height() < 120, plot.title  # the case this is about
    qtbot.waitUntil(lambda: not inside(), timeout=2000)


def test_centering_key_and_temperature_keys(qtbot, window):
    panel, controller = window.panels["dino"], window.controllers["dino"]
    qtbot.keyClick(window, QtCore.Qt.Key_C)
    assert not panel.controls["centering"].isChecked()
    qtbot.waitUntil(lambda: controller.latest["params"]["centering"] is False, timeout=5000)
    assert "sharpening only" in panel.caption.text() or "centering OFF" in panel.caption.text()
    before = controller.latest["params"]["teacher_temperature"]
    qtbot.keyClick(window, QtCore.Qt.Key_Up)
    qtbot.waitUntil(lambda: controller.latest["params"]["teacher_temperature"] > before, timeout=5000)
    qtbot.keyClick(window, QtCore.Qt.Key_Down)
    qtbot.keyClick(window, QtCore.Qt.Key_Down)
    qtbot.waitUntil(lambda: controller.latest["params"]["teacher_temperature"] < before, timeout=5000)


def test_teacher_temperature_slider_marks_snap(qtbot, window):
    panel, controller = window.panels["dino"], window.controllers["dino"]
    slider = panel.controls["teacher_temperature"]
    slider.slider.setValue(slider._to_position(0.0702))
    qtbot.waitUntil(lambda: controller.latest["params"]["teacher_temperature"] == 0.07, timeout=5000)


@pytest.mark.phenomena
def test_sharpening_only_collapses_in_the_app(qtbot, window):
    panel, controller = window.panels["dino"], window.controllers["dino"]
    panel.controls["centering"].click()
    qtbot.waitUntil(lambda: controller.latest["params"]["centering"] is False, timeout=5000)
    snapshot = wait_for_step(application(), controller, controller.latest["step"] + 600)
    assert snapshot["verdict"] == "one prototype dominates"
    qtbot.waitUntil(lambda: panel.verdict.text().startswith("COLLAPSED: one prototype"), timeout=5000)
