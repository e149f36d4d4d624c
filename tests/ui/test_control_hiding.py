"""Hiding the controls a lesson does not need: one by one from the View menu (or the column's context
menu), remembered per page across restarts, never changing a setting; garbled settings ignored."""
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from desktop.main_window import MainWindow
from desktop.settings import app_settings


def menu_action(window: MainWindow, page: str, label: str) -> QtGui.QAction:
    menu = QtWidgets.QMenu()
    window.fill_controls_menu(menu, page)
    window._test_menu = menu  # keep it (and its actions) alive while the test uses them
    return next(action for action in menu.actions() if action.text() == label)


def test_every_page_lists_its_controls(window):
    byol = [control.key for control in window.panels["byol"].hideable_controls()]
    assert byol[:4] == ["transport", "ema", "stop_gradient", "predictor"]
    assert byol[-3:] == ["help", "lesson_strip", "diagram"]  # the column, then the strip and diagram
    dino = [control.key for control in window.panels["dino"].hideable_controls()]
    assert {"centering", "teacher_temperature", "warmup_steps"} <= set(dino)
    multicrop = [control.key for control in window.panels["multicrop"].hideable_controls()]
    assert {"transport", "num_local", "global_scale_min", "local_scale_max", "twin", "photos"} <= set(multicrop)
    assert "steps_per_cell" in [control.key for control in window.panels["ablation"].hideable_controls()]


def test_hiding_a_control_keeps_its_setting_and_its_key(qtbot, window):
    panel = window.panels["byol"]
    controller = window.controllers["byol"]
    action = menu_action(window, "byol", "Stop-gradient")
    assert action.isChecked()
    action.trigger()  # unchecked: hidden
    assert panel.controls["stop_gradient"].isHidden()
    assert not panel.controls["ema"].isHidden()
    assert panel.controls["stop_gradient"].isChecked()
    controller.step(1)
    qtbot.waitUntil(lambda: controller.latest["step"] >= 1, timeout=5000)
    assert controller.latest["params"]["stop_gradient"] is True
    # The key still switches it, and the caption still says it in words.
    qtbot.keyClick(window, QtCore.Qt.Key_S)
    qtbot.waitUntil(lambda: controller.latest["params"]["stop_gradient"] is False, timeout=5000)
    qtbot.waitUntil(lambda: "stop-gradient OFF" in panel.caption.text(), timeout=5000)


def test_a_group_whose_controls_are_all_hidden_goes_too(window):
    panel = window.panels["byol"]
    group = panel.controls["ema"].parentWidget()
    assert isinstance(group, QtWidgets.QGroupBox)
    for name in ("ema", "stop_gradient"):
        window.set_control_shown("byol", name, False)
    assert not group.isHidden()
    window.set_control_shown("byol", "predictor", False)
    assert group.isHidden()
    window.show_all_controls("byol")
    assert not group.isHidden() and not panel.controls["predictor"].isHidden()
    assert panel.hidden_controls() == set()


@pytest.mark.soak  # over ~5 s: opens three windows
def test_hidden_controls_and_the_column_are_remembered(window, open_window):
    window.set_control_shown("byol", "predictor", False)
    window.set_control_shown("byol", "help", False)
    window.set_control_shown("multicrop", "global_scale_min", False)
    window.controls_action.trigger()  # Ctrl+H: the whole column goes
    assert window.panels["dino"].control_scroll.isHidden()
    window.close()

    again = open_window()
    try:
        assert again.panels["byol"].hidden_controls() == {"predictor", "help"}
        assert again.panels["byol"].controls["predictor"].isHidden()
        assert again.panels["multicrop"].controls["global_scale_min"].isHidden()
        assert again.panels["dino"].hidden_controls() == set()
        assert not again.controls_action.isChecked()
        assert again.panels["byol"].control_scroll.isHidden()
        # Hidden is not switched off: the predictor still trains.
        assert again.controllers["byol"].latest["params"]["predictor"] is True
        again.controls_action.trigger()
        again.show_all_controls("byol")
    finally:
        again.shutdown()
        again.close()
    third = open_window()
    try:
        assert third.controls_action.isChecked()
        assert not third.panels["byol"].control_scroll.isHidden()
        assert third.panels["byol"].hidden_controls() == set()
        assert third.panels["multicrop"].hidden_controls() == {"global_scale_min"}
    finally:
        third.shutdown()


def test_show_all_controls_brings_the_column_back(window):
    window.set_control_shown("dino", "centering", False)
    window.controls_action.trigger()
    window.show_all_controls("dino")
    assert window.controls_action.isChecked()
    assert not window.panels["dino"].control_scroll.isHidden()
    assert window.panels["dino"].hidden_controls() == set()


def test_hiding_every_control_hides_the_column(window):
    panel = window.panels["ablation"]
    for control in panel.hideable_controls():
        window.set_control_shown("ablation", control.key, False)
    assert panel.control_scroll.isHidden()
    window.set_control_shown("ablation", "transport", True)
    assert not panel.control_scroll.isHidden()


@pytest.mark.parametrize("garbled", [
    {"hidden_controls/byol": "no_such_control, ema", "view/controls_column": "maybe"},
    {"hidden_controls/byol": 42, "view/controls_column": 7},
    {"hidden_controls/byol": ["", "predictor,", "\x00"], "view/controls_column": ["a", "b"]},
])
def test_garbled_settings_are_ignored(open_window, garbled):
    settings = app_settings()
    for key, value in garbled.items():
        settings.setValue(key, value)
    settings.sync()
    window = open_window()
    try:
        hidden = window.panels["byol"].hidden_controls()
        assert hidden <= {"ema", "predictor"}  # the known names kept, the rest dropped
        assert window.controls_action.isChecked()  # not a yes/no: the default, the column shown
        assert not window.panels["byol"].control_scroll.isHidden()
    finally:
        window.shutdown()


def test_garbled_ini_text_is_ignored(open_window):
    path = app_settings().fileName()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[hidden_controls]\nbyol=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x0)\ndino=\"unterminated\n"
                     "[view]\ncontrols_column=@ByteArray(\\xff)\n")
    window = open_window()
    try:
        assert window.panels["byol"].hidden_controls() == set()
        assert window.panels["dino"].hidden_controls() == set()
        assert window.controls_action.isChecked()
    finally:
        window.shutdown()
