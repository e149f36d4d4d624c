"""The live mechanism diagrams: a click on a guard changes the simulation exactly as its checkbox
does, the checkbox and its key change the diagram, and the diagram is redrawn at the next paint."""
import pytest
from PySide6 import QtCore, QtWidgets

from widgets.diagrams.multicrop_diagram import MultiCropDiagram
from widgets.theme import DARK, LIGHT
from window_helpers import wait_snapshot


def click_region(qtbot, diagram, name):
    qtbot.waitUntil(lambda: name in diagram.regions, timeout=3000)  # known after a paint
    qtbot.mouseClick(diagram, QtCore.Qt.LeftButton, pos=diagram.region_centre(name))


def repainted(qtbot, diagram, before):
    """The diagram paints again at the next turn of the event loop: within one frame."""
    QtWidgets.QApplication.processEvents()
    assert diagram.paint_count > before


@pytest.mark.parametrize("guard", ["ema", "stop_gradient", "predictor"])
def test_clicking_a_guard_on_the_diagram_is_its_checkbox(qtbot, window, guard):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    diagram = panel.diagram
    click_region(qtbot, diagram, guard)
    assert not panel.controls[guard].isChecked()
    assert diagram.guards[guard] is False
    wait_snapshot(qtbot, controller, lambda s: s["params"][guard] is False, timeout=10000)
    # and back: the same click switches it on again
    click_region(qtbot, diagram, guard)
    assert panel.controls[guard].isChecked()
    wait_snapshot(qtbot, controller, lambda s: s["params"][guard] is True, timeout=10000)


def test_the_checkbox_and_the_key_redraw_the_diagram(qtbot, window):
    panel = window.panels["byol"]
    diagram = panel.diagram
    qtbot.waitUntil(lambda: diagram.paint_count > 0, timeout=3000)
    before = diagram.paint_count
    panel.controls["predictor"].click()
    assert diagram.guards["predictor"] is False
    repainted(qtbot, diagram, before)
    before = diagram.paint_count
    qtbot.keyClick(window, QtCore.Qt.Key_E)  # the window's key goes through the checkbox too
    assert not panel.controls["ema"].isChecked() and diagram.guards["ema"] is False
    repainted(qtbot, diagram, before)
    assert "ema" in diagram.regions  # still clickable when off, to switch it back on


def test_a_switched_off_guard_changes_its_part_of_the_picture(qtbot, window):
    panel = window.panels["byol"]
    diagram = panel.diagram
    diagram.resize(1000, 160)
    images = {}
    for state in ("on", "off"):
        for guard in ("ema", "stop_gradient", "predictor"):
            panel.apply_param(guard, state == "on")
        images[state] = diagram.grab().toImage()
    assert images["on"] != images["off"]


def test_dino_diagram_moves_centering_and_temperature(qtbot, window):
    window.show_page("dino")
    panel, controller = window.panels["dino"], window.controllers["dino"]
    qtbot.waitUntil(lambda: controller.latest is not None, timeout=10000)
    diagram = panel.diagram
    click_region(qtbot, diagram, "centering")
    assert not panel.controls["centering"].isChecked() and diagram.centering is False
    wait_snapshot(qtbot, controller, lambda s: s["params"]["centering"] is False, timeout=10000)
    before = panel.controls["teacher_temperature"].value()
    click_region(qtbot, diagram, "teacher_temperature:up")
    after = panel.controls["teacher_temperature"].value()
    assert after > before and diagram.teacher_temperature == after
    wait_snapshot(qtbot, controller, lambda s: s["params"]["teacher_temperature"] == after, timeout=10000)
    # the window's Down key goes through the same slider, and the diagram follows
    qtbot.keyClick(window, QtCore.Qt.Key_Down)
    assert diagram.teacher_temperature == panel.controls["teacher_temperature"].value() < after


def test_diagrams_show_live_readouts_while_training(qtbot, window):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    controller.step(5)
    wait_snapshot(qtbot, controller, lambda s: s["step"] >= 5, timeout=10000)
    qtbot.waitUntil(lambda: panel.diagram.step >= 5, timeout=3000)
    assert panel.diagram.student_spread is not None and panel.diagram.teacher_spread is not None


def test_multicrop_diagram_pairs_are_the_loss_pairs(qtbot):
    diagram = MultiCropDiagram()
    qtbot.addWidget(diagram)
    for num_local in (0, 1, 8, 10):
        diagram.set_counts(2, num_local)
        pairs = diagram.pairs()
        assert len(pairs) == 2 * (num_local + 1)
        assert all(teacher < 2 and teacher != student for teacher, student in pairs)
    for theme in (LIGHT, DARK):
        for zoom in (1.0, 2.0):
            diagram.set_theme(theme, zoom)
            diagram.resize(900, 200)
            assert not diagram.grab().toImage().isNull()


def test_every_concept_page_has_its_strip_and_diagram(qtbot, window):
    for page in ("byol", "dino"):
        panel = window.panels[page]
        assert panel.lesson_strip.key_idea.text() and panel.lesson_strip.picture.text()
        keys = [control.key for control in panel.hideable_controls()]
        assert {"lesson_strip", "diagram"} <= set(keys)
        window.set_control_shown(page, "lesson_strip", False)
        assert panel.lesson_strip.isHidden() and not panel.control_scroll.isHidden()
        window.show_all_controls(page)
        assert not panel.lesson_strip.isHidden()


def test_multicrop_page_has_its_strip_and_its_diagram_follows_the_views(qtbot, window):
    window.show_page("multicrop")
    panel = window.panels["multicrop"]
    assert "Key idea" in panel.lesson_strip.key_idea.text()
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=20000)
    panel.apply_param("num_local", 3)
    qtbot.waitUntil(lambda: panel.diagram.num_local == 3, timeout=20000)
    assert len(panel.diagram.pairs()) == panel.matrix.num_loss_terms == 8


@pytest.mark.parametrize("page", ["byol", "dino", "multicrop"])
def test_g_opens_and_closes_the_go_deeper_card(qtbot, window, page):
    window.show_page(page)
    qtbot.waitUntil(window.panels[page].isVisible, timeout=3000)  # a newly built page shows at the next turn
    card = window.panels[page].go_deeper
    assert card.isHidden()
    qtbot.keyClick(window, QtCore.Qt.Key_G)
    assert card.isVisible() and "Sources" in card.browser.toPlainText()
    assert card.geometry().width() > window.panels[page].width() * 0.8
    qtbot.keyClick(card.browser, QtCore.Qt.Key_G)  # G again, even with the card's text focused
    assert card.isHidden()
    window.panels[page].lesson_strip.button.click()
    assert card.isVisible()
    qtbot.keyClick(card.browser, QtCore.Qt.Key_Escape)
    assert card.isHidden()


def test_cheat_sheet_lists_go_deeper_and_the_lesson_keys(qtbot, window):
    table = window.cheat_sheet._table()
    assert "Go deeper on this page" in table and "<b>G</b>" in table
    assert "PgDown" in table and "PgUp" in table
