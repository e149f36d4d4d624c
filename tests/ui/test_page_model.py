"""The page description is the one place a page is declared: a throw-away page registered in one
entry appears in the key switch, the menus, the cheat sheet, the scenarios and `screenshot --page`;
every page saves a scenario, and a saved scenario restores every setting of its page."""
import json
import math

import pytest
from PySide6 import QtGui

from desktop.cli import main
from desktop.pages import Page, Switch, all_pages, all_pages_keys, page, register_page, unregister_page
from desktop.scenarios import Scenario, load_scenario, parse_scenario
from engine.byol import BYOLSimulation
from widgets.byol_panel import BYOLPanel
from window_helpers import wait_snapshot


class ToySimulation(BYOLSimulation):
    """A throw-away page's simulation (BYOL's dynamics under another name)."""

    NAME = "toy"
    DEFAULT_STEPS = 3


class ToyPanel(BYOLPanel):
    PAGE_KEY = "toy"
    TITLE = "Toy"


TOY = Page("toy", 9, "Toy page", ToyPanel, ToySimulation,
           switches=(Switch("Toy switch (toy)", "T", "toggle", "ema"),))


@pytest.fixture
def toy_page():
    register_page(TOY)
    yield TOY
    unregister_page("toy")


def menu_actions(window, title):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)
    return {action.text(): action for action in menu.actions() if action.text()}


def test_a_page_registered_in_one_entry_is_everywhere(qtbot, toy_page, tmp_path, open_window, capsys):
    assert "toy" in all_pages_keys()
    window = open_window()
    # the key switch and the Pages menu
    pages_menu = menu_actions(window, "Pages")
    assert pages_menu["9 · Toy page"].shortcut() == QtGui.QKeySequence("9")
    pages_menu["9 · Toy page"].trigger()
    assert window.current_page().key == "toy"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "9 · Toy page"
    # the Switches menu, reaching the toy panel's control
    controller = window.controllers["toy"]
    wait_snapshot(qtbot, controller, lambda s: True)
    switch = menu_actions(window, "Switches")["Toy switch (toy)"]
    assert switch.shortcut() == QtGui.QKeySequence("T")
    switch.trigger()
    wait_snapshot(qtbot, controller, lambda s: s["params"]["ema"] is False)
    # the cheat sheet
    table = window.cheat_sheet._table()
    assert "Toy page" in table and "Toy switch (toy)" in table
    # scenarios: validated with the page's own specs, saved and opened
    assert parse_scenario('{"name": "t", "page": "toy", "params": {"ema": false}}').params["ema"] is False
    path = tmp_path / "toy.json"
    assert window.save_scenario(str(path), "Toy scenario")
    assert load_scenario(path).page == "toy"
    window.close()
    # screenshot --page
    out = tmp_path / "toy.png"
    assert main(["screenshot", str(out), "--page", "toy", "--steps", "2", "--size", "1280x720"]) == 0
    assert QtGui.QImage(str(out)).width() == 1280
    # run
    capsys.readouterr()  # what screenshot printed
    assert main(["run", "toy", "--steps", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 2


def test_unregistered_pages_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["screenshot", "/tmp/x.png", "--page", "toy"])
    assert exit_info.value.code == 2 and "--page" in capsys.readouterr().err
    with pytest.raises(KeyError):
        page("toy")


# -- every page: save, change everything, open --------------------------------------------------------
def other_value(spec):
    """A valid value of ``spec`` that is not its default."""
    if spec.kind is bool:
        return not spec.default
    value = spec.minimum if spec.default != spec.minimum else spec.maximum
    if spec.name == "seed":
        value = spec.default + 7
    return spec.kind(value)


def changed_params(key: str) -> dict:
    """Every setting of page ``key`` moved off its default."""
    params = {spec.name: other_value(spec) for spec in page(key).simulation_class.PARAMS}
    if key == "ablation":
        params.update(part="dino", steps_per_cell=200)
    if key == "multicrop":  # each scale range's minimum stays below its maximum
        params.update(global_scale_min=0.5, global_scale_max=0.9, local_scale_min=0.1, local_scale_max=0.3,
                      num_local=4, chosen_photo=3, chosen_crop=2)
    return page(key).validate_params(params)


def live_params(window, key):
    return window.panels[key].scenario_params()


def matches(shown: dict, wanted: dict) -> bool:
    return all(shown.get(name) == value or (isinstance(value, float) and math.isclose(shown[name], value))
               for name, value in wanted.items())


@pytest.mark.parametrize("key", all_pages_keys())
def test_save_change_open_restores_every_setting(qtbot, tmp_path, key, open_window):
    window = open_window()
    window.show_page(key)
    controller = window.controllers.get(key)
    wanted = changed_params(key)
    defaults = page(key).validate_params({})
    assert all(wanted[name] != defaults[name] for name in wanted), "every setting must move"

    def settled(params):
        if controller is not None:
            wait_snapshot(qtbot, controller, lambda s: matches(s["params"], params))
        qtbot.waitUntil(lambda: matches(live_params(window, key), params), timeout=10000)

    window.apply_scenario(Scenario("changed", key, "", wanted))
    settled(wanted)
    path = tmp_path / f"{key}.json"
    assert window.save_scenario(str(path), "Round trip")
    assert load_scenario(path).params == wanted
    window.apply_scenario(Scenario("defaults", key, "", defaults))  # change everything back
    settled(defaults)
    assert window.open_scenario(str(path))
    settled(wanted)
    panel = window.panels[key]
    for name, control in panel.controls.items():  # the controls show it too
        shown = control.value() if hasattr(control, "value") else control.isChecked()
        assert shown == pytest.approx(wanted[name], rel=0.05), name
    if key == "ablation":
        assert panel.parts.currentIndex() == 1 and panel.steps_per_cell.currentData() == 200


def test_ablation_page_saves_a_scenario(qtbot, tmp_path, open_window):
    """The bug of issue 12: the ablation page's parameters went to the multi-crop validator."""
    window = open_window()
    window.show_page("ablation")
    wait_snapshot(qtbot, window.controllers["ablation"], lambda s: True)
    assert window.save_scenario(str(tmp_path / "ablation.json"), "Ablation")
    assert load_scenario(tmp_path / "ablation.json").params["part"] == "byol"


# -- declared snapshot keys ---------------------------------------------------------------------------
@pytest.mark.parametrize("description", [p for p in all_pages() if p.simulation is not None],
                         ids=lambda p: p.key)
def test_snapshots_hold_the_declared_keys(description):
    simulation = description.simulation_class()
    simulation.step(2)
    snapshot = simulation.snapshot()
    for name, kind in description.snapshot_keys.items():
        assert name in snapshot, name
        assert isinstance(snapshot[name], kind), name


def test_every_panel_offers_the_window_its_interface(window):
    from widgets.panel_base import Panel

    for key in all_pages_keys():
        assert isinstance(window.panels[key], Panel), key
