"""The ablation page: it builds, fills in live from the engine thread (BYOL grid steps, DINO map
cells), stops and resumes, resets, and shows the 8-row table beside the published outcomes.

The page is built on its own with an EngineController, so these tests do not depend on it being
listed in desktop/pages.py. The DINO map is made small (2 x 2 cells of 20 steps) for speed."""
import numpy as np
import pytest

from desktop.engine_thread import EngineController
from engine.ablation import AblationSimulation
from engine.dino_regime_map import DINORegimeMap
from widgets.ablation_panel import AGREES_COLUMN, TABLE_COLUMNS, AblationPanel
from widgets.theme import DARK, LIGHT
from window_helpers import wait_snapshot


def small_simulation():
    return AblationSimulation(regime_map=DINORegimeMap((0.01, 0.16), (0.9, 0.999), steps=20,
                                                       seeds=1, workers=1))


@pytest.fixture
def page(qtbot):
    controller = EngineController(small_simulation)
    controller.ensure_started()  # what the window does when the page is shown
    panel = AblationPanel(controller, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(1280, 680)
    panel.show()
    yield panel, controller
    controller.shutdown()


def test_adapter_has_the_engine_interface():
    simulation = small_simulation()
    for name in ("step", "snapshot", "reset", "set_param", "diverged", "divergence_reason",
                 "params", "step_count"):
        assert hasattr(simulation, name)
    simulation.step(2)
    assert simulation.step_count == 2
    simulation.set_param("part", "dino")
    simulation.step(25)
    snapshot = simulation.snapshot()
    assert snapshot["step"] == 25 and snapshot["dino"]["cells_done"] == 1
    assert snapshot["byol"]["step"] == 2  # the idle part keeps its state
    simulation.reset(5)
    assert simulation.snapshot()["dino"]["cells_done"] == 0 and simulation.params["seed"] == 5
    with pytest.raises(ValueError):
        simulation.set_param("part", "mae")


def test_page_builds_with_table_and_plots(qtbot, page):
    panel, controller = page
    assert panel.PAGE_KEY == "ablation" and panel.TITLE == "Ablations"
    assert len(panel.member_plots) == 8 and panel.multicrop_view.plot in panel.plots
    wait_snapshot(qtbot, controller, lambda s: True)
    table = panel.table
    assert table.rowCount() == 8
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == list(TABLE_COLUMNS) and "Paper (source)" in headers and "Agrees?" in headers
    qtbot.waitUntil(lambda: table.item(7, 0) is not None)
    names = [table.item(row, 0).text() for row in range(8)]
    assert names[0] == "all guards (BYOL)" and names[4] == "no EMA (SimSiam)"
    agree_column = [table.item(row, AGREES_COLUMN).text() for row in range(8)]
    # Untrained at step 0: nothing is compared with the papers before the runs have trained.
    assert all(text.startswith(("…", "–")) for text in agree_column)
    assert "DISAGREES" not in panel.verdict.text() and "training" in panel.verdict.text()
    assert agree_column[3] == agree_column[7] == "– no paper"  # combinations no paper ran
    panel.set_theme(DARK, 1.5)
    panel.set_controls_visible(False)
    assert panel.control_scroll.isHidden()


def test_byol_grid_fills_live_and_pauses(qtbot, page):
    panel, controller = page
    wait_snapshot(qtbot, controller, lambda s: True)
    panel.transport.play_button.click()
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["step"] >= 12 and s["part"] == "byol")
    panel.transport.play_button.click()
    qtbot.waitUntil(lambda: not controller.running)
    qtbot.wait(300)  # the last snapshot sent before the pause arrives
    paused = controller.latest["step"]
    qtbot.wait(200)
    assert controller.latest["step"] == paused  # stopped
    curve = panel.member_plots[0]._curves["spread"][0]
    assert len(curve.getData()[0]) >= 2  # step 0 and step 10 at least
    # The table shows a disagreement as such when there is one (in the snapshot it drew last: the
    # one waited for above can be older, and a verdict can change between the two under load).
    assert snapshot["step"] <= panel.snapshot["step"]
    for row, member in enumerate(panel.snapshot["byol"]["members"]):
        if member["agrees"] is False:
            assert "DISAGREES" in panel.table.item(row, AGREES_COLUMN).text()
    panel.transport.reset_button.click()
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)


def test_dino_map_fills_cell_by_cell(qtbot, page):
    panel, controller = page
    wait_snapshot(qtbot, controller, lambda s: True)
    panel.parts.setCurrentIndex(1)
    wait_snapshot(qtbot, controller, lambda s: s["part"] == "dino")
    controller.play()
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["dino"]["cells_done"] >= 2)
    controller.pause()
    regime = snapshot["dino"]["regime"]
    assert (regime >= 0).sum() >= 2
    assert "cells" in panel.verdict.text()
    view = panel.regime_view
    qtbot.waitUntil(lambda: view.snapshot is not None and (view.snapshot["regime"] >= 0).sum() >= 2)
    row, column = map(int, np.argwhere(view.snapshot["regime"] >= 0)[0])
    text = view.tooltip_text(row, column)
    assert "teacher entropy" in text and "usage entropy" in text
    assert view.cell_at(view.cell_rect(row, column).center()) == (row, column)
    view.grab()  # paints without error


@pytest.mark.soak  # over ~5 s: spawns worker processes
def test_map_in_worker_processes_fills_in_stays_responsive_and_cancels(qtbot):
    """Runs in two worker processes: the page shows progress while the GUI's event loop keeps
    turning (a 20 ms timer never waits long), and Reset cancels the runs under way."""
    import time

    from PySide6 import QtCore

    def simulation():
        regime_map = DINORegimeMap((0.04, 0.2), (0.9, 0.999), steps=300, seeds=2, workers=2)
        return AblationSimulation(part="dino", regime_map=regime_map)

    controller = EngineController(simulation)
    controller.ensure_started()
    panel = AblationPanel(controller, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(1280, 680)
    panel.show()
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    try:
        wait_snapshot(qtbot, controller, lambda s: s["part"] == "dino")
        controller.play()
        snapshot = wait_snapshot(qtbot, controller, lambda s: s["dino"]["runs_done"] >= 2,
                                 timeout=60_000)
        assert snapshot["dino"]["workers"] == 2 and snapshot["dino"]["runs_total"] == 8
        qtbot.waitUntil(lambda: "runs" in panel.verdict.text(), timeout=5000)
        panel.regime_view.grab()  # paints the fractions without error
        assert max(gaps[1:]) < 1.0, max(gaps)  # the GUI never froze while the workers trained
        controller.pause()
        panel.transport.reset_button.click()  # cancels the runs under way
        snapshot = wait_snapshot(qtbot, controller, lambda s: s["dino"]["runs_done"] == 0)
        assert snapshot["dino"]["in_flight"] == []
    finally:
        timer.stop()
        controller.shutdown()
