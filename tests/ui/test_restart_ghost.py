"""Restart with these settings, the fresh-only warning and the last run as a ghost (GUI, offscreen)."""
from __future__ import annotations

import pytest

import window_helpers


def test_restart_keeps_the_seed_and_new_settings_and_leaves_a_ghost(qtbot, window):
    qtbot.waitUntil(lambda: window.controllers["byol"].latest is not None, timeout=10000)
    panel, controller = window.panels["byol"], window.controllers["byol"]
    window_helpers.wait_snapshot(qtbot, controller, lambda s: True)
    panel.transport.seed.setValue(7)
    panel.reset_page()
    window_helpers.wait_snapshot(qtbot, controller, lambda s: s["params"]["seed"] == 7 and s["step"] == 0)
    controller.step(320)
    trained = window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 320)
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot["step"] == 320)
    panel.controls["predictor"].click()  # off on a trained network: the page says it may not bite
    qtbot.waitUntil(lambda: "Restart with these settings" in panel.message.text())
    panel.transport.seed.setValue(3)  # the restart keeps the run's seed, not the box's
    panel.restart_button.click()
    fresh = window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 0 and not s["params"]["predictor"])
    assert fresh["params"]["seed"] == 7
    ghost_curve, ghost_text = panel.spread_plot._ghost
    x, _ = ghost_curve.getData()
    assert len(x) == len(trained["history"]["step"]) and x[-1] == 320
    assert "predictor on" in ghost_text.toPlainText()
    assert panel.clear_ghost_button.isVisibleTo(panel)
    panel.clear_ghost_button.click()
    assert panel.spread_plot._ghost is None and not panel.clear_ghost_button.isVisibleTo(panel)


def test_an_untrained_run_leaves_no_ghost(qtbot, window):
    qtbot.waitUntil(lambda: window.controllers["byol"].latest is not None, timeout=10000)
    panel, controller = window.panels["byol"], window.controllers["byol"]
    window_helpers.wait_snapshot(qtbot, controller, lambda s: True)
    panel.restart_with_settings()
    window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    assert panel.ghost is None


@pytest.mark.window(pages=("dino",))
def test_dino_centering_off_on_a_trained_run_says_so_and_restart_leaves_entropy_ghosts(qtbot, window):
    panel, controller = window.panels["dino"], window.controllers["dino"]
    window_helpers.wait_snapshot(qtbot, controller, lambda s: True)
    controller.step(310)
    window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 310)
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot["step"] == 310)
    panel.controls["centering"].click()
    qtbot.waitUntil(lambda: "from scratch" in panel.message.text())
    panel.restart_with_settings()
    window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 0 and not s["params"]["centering"])
    assert panel.entropy_plot._ghost is not None and panel.usage_entropy_plot._ghost is not None


def test_log_step_axis_shows_the_first_steps(qtbot, window):
    qtbot.waitUntil(lambda: window.controllers["byol"].latest is not None, timeout=10000)
    panel, controller = window.panels["byol"], window.controllers["byol"]
    controller.step(50)
    window_helpers.wait_snapshot(qtbot, controller, lambda s: s["step"] == 50)
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot["step"] == 50)
    panel.log_steps.click()
    x = panel.spread_plot._curves["spread"][0].xData  # the steps, before the log is taken
    assert list(x[:10]) == list(range(1, 11))  # every early step, step 0 left out of the log axis
    assert panel.spread_plot.getPlotItem().getAxis("bottom").logMode
    panel.log_steps.click()
    x = panel.spread_plot._curves["spread"][0].xData  # the steps, before the log is taken
    assert x[0] == 0


def test_high_zoom_shows_the_hero_alone_unless_asked(qtbot, window):
    from widgets.theme import DARK, LIGHT

    panel = window.panels["byol"]
    panel.set_theme(DARK, 1.5)
    assert panel.spread_plot.isVisibleTo(panel) and not panel.loss_plot.isVisibleTo(panel)
    panel.all_plots.click()
    assert panel.loss_plot.isVisibleTo(panel) and panel.embedding_plot.isVisibleTo(panel)
    panel.all_plots.click()
    panel.set_theme(LIGHT, 1.0)
    assert panel.loss_plot.isVisibleTo(panel)


@pytest.mark.parametrize("zoom", [1.0, 2.0])
def test_the_cheat_sheet_fits_the_window(open_window, zoom):
    window = open_window(zoom=zoom)
    window.cheat_sheet.toggle()
    hint = window.cheat_sheet.label.sizeHint()
    assert "Restart with these settings" in window.cheat_sheet.label.text()
    assert hint.height() <= window.height() and hint.width() <= window.width()
