"""Scenario files: the bundled presets load and apply; bad files are refused with a message that
names the problem, and the app keeps its state."""
import json

import pytest

from desktop.scenarios import Scenario, ScenarioError, bundled_scenarios, load_scenario, parse_scenario

GOOD = {"format": "distill-lab scenario", "version": 1, "name": "Test", "page": "byol",
        "caption": "A test.", "params": {"stop_gradient": False, "seed": 4}}


def test_bundled_scenarios_cover_the_lessons():
    names = {scenario.name for scenario in bundled_scenarios()}
    for needle in ("Healthy BYOL", "Break it: all guards off", "No stop-gradient", "No predictor",
                   "SimSiam, slow predictor", "SimSiam, fast predictor", "Healthy DINO",
                   "DINO: sharpening only", "DINO: centering only", "DINO multi-crop defaults"):
        assert needle in names


def test_missing_params_take_defaults_so_every_control_is_set():
    scenario = parse_scenario(json.dumps(GOOD))
    assert scenario.params["stop_gradient"] is False and scenario.params["ema"] is True
    assert scenario.params["seed"] == 4 and scenario.params["learning_rate"] == 0.05


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ('{"name": "x", "page": "byol", "params": {"lr": 1}', "not valid JSON"),  # truncated
    ("[1, 2]", "JSON object"),
    (json.dumps({**GOOD, "extra": 1}), "unknown key 'extra'"),
    (json.dumps({**GOOD, "page": "nowhere"}), "'page'"),
    (json.dumps({**GOOD, "params": {"stop_gradient": "no"}}), "stop_gradient"),
    (json.dumps({**GOOD, "params": {"ema_momentum": 5}}), "ema_momentum"),
    (json.dumps({**GOOD, "params": {"learning_rate": -1}}), "learning_rate"),
    (json.dumps({**GOOD, "params": {"warp_drive": 1}}), "warp_drive"),
    ('{"name": "x", "page": "byol", "params": {"learning_rate": NaN}}', "NaN"),
    (json.dumps({**GOOD, "name": 3}), "'name'"),
    (json.dumps({**GOOD, "page": "multicrop", "params": {"local_scale_min": 0.5, "local_scale_max": 0.1}}),
     "local_scale"),
    (json.dumps({**GOOD, "page": "multicrop", "params": {"image": "../../etc/passwd"}}), "image"),
])
def test_bad_scenarios_are_refused_with_a_reason(text, needle):
    with pytest.raises(ScenarioError) as error:
        parse_scenario(text, "bad.json")
    assert needle in str(error.value) and str(error.value).startswith("bad.json")


def test_bad_files(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "missing.json")
    with pytest.raises(ScenarioError, match="folder"):
        load_scenario(tmp_path)
    huge = tmp_path / "huge.json"
    huge.write_text(" " * 300_000 + "{}")
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario(huge)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_scenario(binary)


def test_menu_scenario_sets_controls_seed_and_caption(qtbot, window):
    preset = next(s for s in bundled_scenarios() if s.name == "No stop-gradient")
    window.apply_scenario(preset)
    panel, controller = window.panels["byol"], window.controllers["byol"]
    assert not panel.controls["stop_gradient"].isChecked()
    qtbot.waitUntil(lambda: controller.latest["params"]["stop_gradient"] is False
                    and controller.latest["step"] == 0, timeout=5000)
    qtbot.waitUntil(lambda: "Scenario: No stop-gradient" in panel.caption.text(), timeout=5000)
    panel.controls["stop_gradient"].click()  # the lecturer moves a control: the caption follows
    # The scenario's line can go one snapshot before the settings line shows the change.
    qtbot.waitUntil(lambda: "Scenario:" not in panel.caption.text()
                    and "stop-gradient on" in panel.caption.text(), timeout=5000)


def test_a_scenario_caption_is_shown_as_text_not_markup(qtbot, window):
    preset = next(s for s in bundled_scenarios() if s.name == "No stop-gradient")
    marked_up = Scenario(name="<i>Mine</i>", page=preset.page,
                         caption='<span style="font-size:80pt">big</span> & <b>bold</b>',
                         params=dict(preset.params))
    window.apply_scenario(marked_up)
    panel = window.panels["byol"]
    qtbot.waitUntil(lambda: "Scenario:" in panel.caption.text(), timeout=5000)
    text = panel.caption.text()
    assert "&lt;i&gt;Mine&lt;/i&gt;" in text and "&lt;span style=" in text and "&amp;" in text
    assert "<span" not in text and "<i>" not in text


def test_save_then_open_replays_identically(qtbot, window, tmp_path):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    panel.apply_param("predictor", False)
    panel.apply_param("ema_momentum", 0.95)
    qtbot.waitUntil(lambda: controller.latest["params"]["ema_momentum"] == 0.95, timeout=5000)
    path = tmp_path / "lesson.json"
    assert window.save_scenario(str(path), name="Lesson")
    saved = load_scenario(path)
    assert saved.params["predictor"] is False and saved.params["ema_momentum"] == 0.95
    panel.apply_param("predictor", True)
    assert window.open_scenario(str(path))
    qtbot.waitUntil(lambda: controller.latest["params"]["predictor"] is False
                    and controller.latest["step"] == 0, timeout=5000)
    assert not panel.controls["predictor"].isChecked()


def test_bad_file_keeps_the_current_state(qtbot, window, tmp_path, warning_boxes):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**GOOD, "params": {"stop_gradient": False, "learning_rate": 99}}))
    assert not window.open_scenario(str(bad))
    assert "learning_rate" in warning_boxes[-1] and "Nothing was changed" in warning_boxes[-1]
    assert panel.controls["stop_gradient"].isChecked()
    assert controller.latest["params"]["stop_gradient"] is True


def test_multicrop_scenario(qtbot, window):
    preset = Scenario("Crops", "multicrop", "", {"num_local": 3, "global_scale_min": 0.5, "local_scale_max": 0.3,
                                                 "twin": False, "seed": 7})
    window.apply_scenario(preset)
    panel = window.panels["multicrop"]
    assert window.current_page().key == "multicrop"
    controller = window.controllers["multicrop"]
    qtbot.waitUntil(lambda: controller.latest is not None and controller.latest["params"]["seed"] == 7
                    and controller.latest["params"]["num_local"] == 3, timeout=20000)
    assert panel.controls["num_local"].value() == 3 and not panel.controls["twin"].isChecked()
    assert panel.scenario_params()["global_scale_min"] == 0.5
