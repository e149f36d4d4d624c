"""The history scrubber: drag back through the run, every plot shows that step; bounded memory."""
from __future__ import annotations

import pytest

import window_helpers
from widgets.panel_base import MAX_KEPT




def test_scrubbing_shows_an_earlier_step_and_live_returns(qtbot, window):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    for target in (20, 40, 60, 80):
        controller.step(20)
        qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot["step"] == target, timeout=30000)
    steps = [s["step"] for s in panel.kept_snapshots]
    assert steps[0] == 0 and steps[-1] == 80 and 20 in steps
    panel.scrub_to(steps.index(20))
    assert "step 20" in panel.caption.text() and panel.scrub_label.text() == "History: step 20"
    x = panel.spread_plot._curves["spread"][0].xData
    assert x[-1] == 20  # the spread curve ends at the step shown
    assert panel.embedding_points.data["x"].shape[0] > 0  # the 2-D outputs of step 20 are drawn
    controller.step(10)  # training goes on behind; the screen keeps step 20
    qtbot.waitUntil(lambda: panel.snapshot["step"] == 90, timeout=30000)
    assert "step 20" in panel.caption.text()
    panel.live_button.click()
    assert "step 90" in panel.caption.text() and panel.scrub_index is None


def test_scrubbing_pauses_a_running_page_and_live_resumes_it(qtbot, window):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    panel.transport.play_button.click()
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot.get("running")
                    and len(panel.kept_snapshots) >= 3, timeout=30000)
    panel.scrub_to(1)
    qtbot.waitUntil(lambda: not controller.running, timeout=10000)
    panel.go_live()
    qtbot.waitUntil(lambda: controller.running, timeout=10000)
    controller.pause()


def test_kept_snapshots_stay_bounded_and_reach_the_whole_run(qtbot, window):
    panel = window.panels["byol"]
    live = panel.snapshot
    for step in range(1, 5000):
        panel.keep_snapshot({**live, "step": step})
    steps = [s["step"] for s in panel.kept_snapshots]
    assert len(steps) <= MAX_KEPT and steps[-1] == 4999 and steps[0] <= 1
    assert steps == sorted(steps)
    panel.keep_snapshot({**live, "step": 0})  # a reset starts a new history
    assert len(panel.kept_snapshots) == 1


def test_a_scenario_may_set_the_speed(qtbot, window):
    from desktop.scenarios import ScenarioError, load_scenario, parse_scenario
    from engine.simulation import LECTURE
    from resources.paths import resources_dir

    scenario = load_scenario(resources_dir() / "scenarios" / "02-byol-break-it.json")
    assert scenario.speed == "lecture"
    assert parse_scenario(scenario.to_json()).speed == "lecture"  # saved and loaded alike
    with pytest.raises(ScenarioError, match="speed"):
        parse_scenario('{"name": "x", "page": "byol", "speed": -3}')
    panel = window.panels["byol"]
    panel.apply_scenario(scenario)
    assert panel.transport.speed.currentData() == LECTURE
    panel.transport.set_speed(95)
    assert panel.transport.speed.currentData() == 100.0


def test_lecture_pace_trains_slowly_at_first_through_the_engine(qtbot, window):
    import time

    panel, controller = window.panels["byol"], window.controllers["byol"]
    panel.transport.set_speed("lecture")
    start = time.monotonic()
    panel.transport.play_button.click()
    qtbot.waitUntil(lambda: controller.latest["step"] >= 5, timeout=20000)
    elapsed = time.monotonic() - start
    controller.pause()
    # 3 steps a second at first, faster by half a step a second per step: 5 steps take about 1.5 s.
    assert elapsed > 0.8
