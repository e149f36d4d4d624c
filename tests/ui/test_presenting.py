"""Lecture-hall mode: zoom, themes, shortcuts, cheat sheet, remembered layout and export."""
import csv

import pytest
from PySide6 import QtCore

from widgets.theme import DARK, LIGHT


def test_zoom_scales_plot_text_and_lines(qtbot, window):
    plot = window.panels["byol"].spread_plot
    before = plot.getPlotItem().getAxis("left").style["tickFont"].pointSizeF()
    qtbot.keyClick(window, QtCore.Qt.Key_Equal, QtCore.Qt.ControlModifier)
    assert window.zoom > 1.0
    after = plot.getPlotItem().getAxis("left").style["tickFont"].pointSizeF()
    assert after > before
    assert plot._curves["spread"][0].opts["pen"].widthF() > 3.0
    qtbot.keyClick(window, QtCore.Qt.Key_0, QtCore.Qt.ControlModifier)
    assert window.zoom == 1.0


def test_theme_switch_restyles_plots(window):
    window.set_theme(DARK)
    panel = window.panels["byol"]
    assert panel.spread_plot.backgroundBrush().color().name().upper() == DARK.background.upper()
    assert window.theme_actions["dark"].isChecked()


def test_guard_shortcuts_toggle_the_checkboxes(qtbot, window):
    panel = window.panels["byol"]
    controller = window.controllers["byol"]
    for key, name in ((QtCore.Qt.Key_E, "ema"), (QtCore.Qt.Key_S, "stop_gradient"), (QtCore.Qt.Key_P, "predictor")):
        qtbot.keyClick(window, key)
        assert not panel.controls[name].isChecked()
        qtbot.waitUntil(lambda n=name: controller.latest["params"][n] is False, timeout=5000)
        assert "OFF" in panel.caption.text()


def test_space_plays_and_pauses(qtbot, window):
    controller = window.controllers["byol"]
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    qtbot.waitUntil(lambda: controller.running, timeout=5000)
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    qtbot.waitUntil(lambda: not controller.running, timeout=5000)


def test_cheat_sheet_lists_the_shortcuts(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key_F1)
    assert window.cheat_sheet.isVisible()
    text = window.cheat_sheet.label.text()
    for needle in ("Space", "F11", "Stop-gradient", "Resample"):
        assert needle in text
    qtbot.keyClick(window.cheat_sheet, QtCore.Qt.Key_Escape)
    assert not window.cheat_sheet.isVisible()


def test_zoom_and_theme_are_remembered(window, open_window):
    window.set_theme(DARK)
    window.set_zoom(1.5)
    window.close()
    again = open_window(pages=())
    try:
        assert again.theme is DARK and again.zoom == 1.5
    finally:
        again.set_theme(LIGHT)
        again.set_zoom(1.0)
        again.close()


@pytest.mark.soak  # over ~5 s: renders every page
def test_exports(qtbot, window, tmp_path):
    controller = window.controllers["byol"]
    controller.step(20)
    qtbot.waitUntil(lambda: controller.latest["step"] == 20, timeout=10000)
    qtbot.waitUntil(lambda: window.panels["byol"].snapshot["step"] == 20, timeout=5000)
    page = tmp_path / "page.png"
    window.export_page(str(page))
    from PySide6 import QtGui
    image = QtGui.QImage(str(page))
    assert image.width() == 2 * window.current_panel().width()
    window.export_plots(str(tmp_path))
    assert (tmp_path / "spread.png").stat().st_size > 1000
    assert (tmp_path / "spread.svg").read_text().lstrip().startswith("<?xml")
    history = tmp_path / "history.csv"
    window.export_history(str(history))
    rows = list(csv.reader(history.open()))
    assert rows[0][:2] == ["step", "loss"] and rows[-1][0] == "20"
