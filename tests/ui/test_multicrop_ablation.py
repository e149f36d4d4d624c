"""The Ablations page's "Multi-crop locals" tab in the main window: showing it trains the six runs
(0 to 10 local crops) and draws a curve each; a scenario keeps the part."""
from desktop.pages import page
from desktop.scenarios import Scenario, load_scenario
from engine.locals_ablation import LOCALS
from widgets.theme import DARK
from window_helpers import wait_snapshot


def points(curve) -> int:
    x = curve.getData()[0]
    return 0 if x is None else len(x)


def show_multicrop_tab(qtbot, window):
    window.show_page("ablation")
    controller = window.controllers["ablation"]
    wait_snapshot(qtbot, controller, lambda s: True)
    panel = window.panels["ablation"]
    panel.parts.setCurrentIndex(2)
    wait_snapshot(qtbot, controller, lambda s: s["part"] == "multicrop" and s["multicrop"] is not None)
    return panel, controller


def test_the_tab_trains_six_runs_and_draws_six_curves(qtbot, window):
    panel, controller = show_multicrop_tab(qtbot, window)
    assert panel.parts.tabText(2) == "Multi-crop locals"
    assert controller.latest["params"]["part"] == "multicrop"
    controller.step(3)
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["multicrop"]["step"] >= 3)
    assert snapshot["byol"]["step"] == 0  # only the part in view trains
    view = panel.multicrop_view
    qtbot.waitUntil(lambda: all(points(curve) >= 4 for curve, _, _ in view.plot._curves.values()))
    assert len(view.plot._curves) == len(LOCALS) == 6
    legend = view.legend.text()
    assert "0 locals (twin)" in legend and "10 locals" in legend
    assert "Table 8" in view.notice.text()
    assert panel.live_state(snapshot)[0].startswith("10 vs 0 LOCALS")
    window.set_theme(DARK)  # the ramp follows the theme without losing the curves
    assert all(points(curve) >= 4 for curve, _, _ in view.plot._curves.values())


def test_a_scenario_keeps_the_multicrop_part(qtbot, tmp_path, window):
    panel, controller = show_multicrop_tab(qtbot, window)
    path = tmp_path / "locals.json"
    assert window.save_scenario(str(path), "Locals")
    assert load_scenario(path).params["part"] == "multicrop"
    window.apply_scenario(Scenario("grid", "ablation", "", page("ablation").validate_params({"part": "byol"})))
    wait_snapshot(qtbot, controller, lambda s: s["part"] == "byol")
    assert panel.parts.currentIndex() == 0
    assert window.open_scenario(str(path))
    wait_snapshot(qtbot, controller, lambda s: s["part"] == "multicrop")
    assert panel.parts.currentIndex() == 2
