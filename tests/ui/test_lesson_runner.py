"""Guided lessons in the window: PageDown alone runs a lesson from a fresh start on each concept
page, each step sets its page's state, and a step that waits for an event pauses training at that
event; a bad lesson file leaves the window as it was."""
import json

import pytest
from PySide6 import QtCore, QtWidgets

from desktop.lessons import lesson_for_page, parse_lesson

QUICK = {"format": "distill-lab lesson", "version": 1, "name": "Quick", "page": "byol", "steps": [
    {"title": "Train a little", "say": "Thirty steps.", "do": {"params": {"stop_gradient": False},
                                                               "reset": True, "play": True},
     "wait": {"until": "step", "at_least": 30}},
    {"title": "Guards back", "say": "Stop-gradient on.", "do": {"params": {"stop_gradient": True}}},
    {"title": "DINO", "say": "Another page.", "do": {"page": "dino", "reset": True, "play": True},
     "wait": {"until": "step", "at_least": 20}},
]}


def page_down(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key_PageDown)


def run_by_page_down(qtbot, window, lesson, timeout_ms):
    """Press PageDown through ``lesson``; at each waiting step, check that training paused at the event."""
    runner, bar = window.lesson_runner, window.lesson_bar
    for index, step in enumerate(lesson.steps):
        assert runner.index == index and not bar.isHidden()
        assert bar.heading.text().startswith(f"<b>Step {index + 1} of {len(lesson.steps)}")
        assert window.current_page().key == step.page
        panel = window.panels[step.page]
        for name, value in step.params.items():
            assert panel.controls[name].value() == value if hasattr(panel.controls[name], "value") \
                and not isinstance(value, bool) else panel.controls[name].isChecked() == value
        if step.wait is not None:
            controller = window.controllers[step.page]
            qtbot.waitUntil(lambda: not runner.waiting, timeout=timeout_ms)
            qtbot.waitUntil(lambda: not controller.running, timeout=5000)
            snapshot = controller.latest
            words = {panel.live_state(snapshot)[1], str(snapshot.get("verdict", ""))}
            assert step.wait.met(snapshot, words), f"step {index + 1} paused without its event"
            assert "Paused at step" in bar.status.text()
        page_down(qtbot, window)
    assert not runner.active and bar.isHidden()


def test_page_down_runs_a_lesson_and_pauses_at_each_event(qtbot, window):
    lesson = parse_lesson(json.dumps(QUICK))
    window.start_lesson(lesson)
    run_by_page_down(qtbot, window, lesson, timeout_ms=30000)
    assert window.controllers["byol"].latest["params"]["stop_gradient"] is True


def test_page_up_goes_back_and_sets_that_step_again(qtbot, window):
    lesson = parse_lesson(json.dumps(QUICK))
    window.start_lesson(lesson)
    qtbot.waitUntil(lambda: not window.lesson_runner.waiting, timeout=30000)
    page_down(qtbot, window)
    assert window.panels["byol"].controls["stop_gradient"].isChecked()
    qtbot.keyClick(window, QtCore.Qt.Key_PageUp)
    assert window.lesson_runner.index == 0
    assert not window.panels["byol"].controls["stop_gradient"].isChecked()
    assert window.lesson_runner.waiting  # the step's wait starts again
    window.end_lesson()
    assert window.lesson_bar.isHidden() and not window.lesson_runner.active


def test_page_down_without_a_lesson_on_a_page_without_one_says_so(qtbot, window):
    window.show_page("ablation")
    page_down(qtbot, window)
    assert not window.lesson_runner.active
    assert "no lesson" in window.statusBar().currentMessage()


def test_a_bad_lesson_file_changes_nothing(qtbot, window, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: warnings.append(args))
    lesson = parse_lesson(json.dumps(QUICK))
    window.start_lesson(lesson)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**QUICK, "steps": [{"title": "x", "say": "y", "do": {"params": {"ema": 7}}}]}))
    assert window.open_lesson(str(bad)) is False
    assert "bad.json" in window.last_error and "ema" in window.last_error
    assert len(warnings) == 1 and "Nothing was changed" in warnings[0][2]
    assert window.lesson_runner.lesson is lesson and window.lesson_runner.index == 0
    window.end_lesson()


@pytest.mark.phenomena
@pytest.mark.parametrize("page", ["byol", "dino", "multicrop"])
def test_each_pages_lesson_runs_by_page_down_from_a_fresh_start(qtbot, window, page):
    window.show_page(page)
    lesson = lesson_for_page(window.lessons, page)
    page_down(qtbot, window)  # PageDown with no lesson running starts this page's
    assert window.lesson_runner.lesson is lesson
    run_by_page_down(qtbot, window, lesson, timeout_ms=240000)


def test_at_presenter_zoom_the_prompt_moves_to_the_tooltip(qtbot, window):
    bar = window.lesson_bar
    window.start_lesson(parse_lesson(json.dumps(QUICK)))
    assert "Thirty steps." in bar.words.text()
    window.set_zoom(1.5)
    assert "Thirty steps." not in bar.words.text() and bar.words.toolTip() == "Thirty steps."
    assert bar.heading.text().startswith("<b>Step 1 of 3")
    window.end_lesson()
    window.set_zoom(1.0)  # a look change does not bring an ended lesson's bar back
    assert bar.isHidden()
