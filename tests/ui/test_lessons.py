"""Lesson files: the bundled lessons load; bad files are refused whole with one message naming the
file and the problem (as scenarios are)."""
import copy
import json

import pytest

from desktop.lessons import LessonError, bundled_lessons, lesson_for_page, load_lesson, parse_lesson

GOOD = {"format": "distill-lab lesson", "version": 1, "name": "Test", "page": "byol",
        "steps": [{"title": "One", "say": "Say this.", "do": {"params": {"stop_gradient": False},
                                                               "reset": True, "play": True},
                   "watch": "Watch that.", "wait": {"until": "verdict", "is": "collapsed", "max_steps": 2000}}]}


def with_step(**changes):
    data = copy.deepcopy(GOOD)
    data["steps"][0].update(changes)
    return json.dumps(data)


def test_bundled_lessons_cover_every_concept_page_and_the_chapter():
    lessons = bundled_lessons()
    for page in ("byol", "dino", "multicrop"):
        assert lesson_for_page(lessons, page) is not None
    assert any(set(lesson.pages) >= {"byol", "dino", "multicrop"} for lesson in lessons)


def test_a_good_lesson_parses():
    lesson = parse_lesson(json.dumps(GOOD))
    step = lesson.steps[0]
    assert step.page == "byol" and step.params == {"stop_gradient": False}
    assert step.reset and step.play and step.wait.verdict == "collapsed" and step.wait.max_steps == 2000


def test_a_step_without_a_page_stays_on_the_previous_page():
    data = copy.deepcopy(GOOD)
    data["steps"][0]["do"]["page"] = "dino"
    data["steps"][0]["do"]["params"] = {}
    data["steps"][0]["wait"] = {"until": "step", "at_least": 10}
    data["steps"].append({"title": "Two", "say": "Still DINO."})
    assert [step.page for step in parse_lesson(json.dumps(data)).steps] == ["dino", "dino"]


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ("[1]", "JSON object"),
    (json.dumps({**GOOD, "format": "distill-lab scenario"}), "not a version 1 Distill Lab lesson"),
    (json.dumps({**GOOD, "extra": 1}), "unknown key 'extra'"),
    (json.dumps({**GOOD, "steps": []}), "'steps'"),
    (json.dumps({**GOOD, "name": ""}), "'name' is missing"),
    (json.dumps({**GOOD, "page": "nowhere"}), "'page'"),
    (with_step(title=3), "'title'"),
    (with_step(say=""), "'say' is missing"),
    (with_step(say="x" * 700), "'say'"),
    (with_step(dance=True), "unknown key 'dance'"),
    (with_step(do={"params": {"stop_gradient": "no"}}), "stop_gradient"),
    (with_step(do={"params": {"warp_drive": 1}}), "warp_drive"),
    (with_step(do={"params": {"learning_rate": -1}}), "learning_rate"),
    (with_step(do={"reset": "yes"}), "'reset'"),
    (with_step(do={"page": "multicrop", "params": {"num_local": 11}}), "num_local"),
    (with_step(wait={"until": "never"}), "'until'"),
    (with_step(wait={"until": "verdict", "is": "happy"}), "'is' must be one of healthy"),
    (with_step(wait={"until": "metric", "name": "loss"}), "exactly one of"),
    (with_step(wait={"until": "metric", "name": "mood", "below": 1}), "'name'"),
    (with_step(wait={"until": "step", "at_least": -5}), "'at_least'"),
    (with_step(wait={"until": "step", "at_least": 5, "extra": 1}), "unknown key 'extra'"),
    ('{"format": "distill-lab lesson", "version": 1, "name": "x", "page": "byol", "steps": '
     '[{"title": "t", "say": "s", "wait": {"until": "metric", "name": "loss", "below": NaN}}]}', "NaN"),
])
def test_bad_lessons_are_refused_with_a_reason(text, needle):
    with pytest.raises(LessonError) as error:
        parse_lesson(text, "bad.json")
    assert needle in str(error.value) and str(error.value).startswith("bad.json")


def test_bad_files(tmp_path):
    with pytest.raises(LessonError, match="no such file"):
        load_lesson(tmp_path / "missing.json")
    with pytest.raises(LessonError, match="folder"):
        load_lesson(tmp_path)
    huge = tmp_path / "huge.json"
    huge.write_text(" " * 300_000 + "{}")
    with pytest.raises(LessonError, match="too large"):
        load_lesson(huge)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(LessonError, match="UTF-8"):
        load_lesson(binary)
