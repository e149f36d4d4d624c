"""Pages are built when first shown (the window opens without building 20 plots), and a page built
late looks and behaves as if it had been there from the start."""
from widgets.theme import DARK


def test_only_the_page_in_view_is_built_at_start(open_window):
    window = open_window(pages=())
    assert list(window.panels.built()) == [window.current_page().key] == ["byol"]
    assert "dino" in window.panels and list(window.panels.built()) == ["byol"]  # asking builds nothing
    window.show_page("dino")
    assert sorted(window.panels.built()) == ["byol", "dino"]
    window.close()


def test_a_page_built_late_has_the_current_look_hidden_controls_and_latest_snapshot(qtbot, open_window):
    window = open_window(pages=())
    window.apply_style(DARK, 1.3)
    window.controls_action.setChecked(False)
    window._toggle_controls_column()
    dino = window.controllers["dino"]
    dino.ensure_started()  # started before its page is built, as a scenario or lesson may
    qtbot.waitUntil(lambda: dino.latest is not None, timeout=10_000)
    assert "dino" not in window.panels.built()
    window.show_page("dino")
    panel = window.panels["dino"]
    assert panel.theme is DARK and panel.zoom == 1.3
    assert panel.control_scroll.isHidden()
    assert panel.snapshot is not None and panel.verdict.text()  # drawn, not blank, while paused
    window.close()


def test_the_page_restored_from_settings_is_built_first(open_window):
    window = open_window(pages=())
    window.show_page("ablation")
    window.close()  # saves the page
    reopened = open_window(pages=())  # on the page the settings name
    assert reopened.current_page().key == "ablation"
    assert list(reopened.panels.built()) == ["ablation"]
    reopened.close()


def test_an_engine_starts_with_its_page_or_its_first_command(qtbot, open_window):
    """The thread engine starts lazily, as the process engine does: opening the window does not
    build every page's simulation."""
    window = open_window(pages=())
    dino, multicrop = window.controllers["dino"], window.controllers["multicrop"]
    qtbot.wait(200)
    assert dino.latest is None and multicrop.latest is None  # no engine yet: nothing sent
    window.show_page("dino")
    qtbot.waitUntil(lambda: dino.latest is not None, timeout=10_000)
    multicrop.set_param("seed", 3)  # a first command starts it, with the page's settings so far
    qtbot.waitUntil(lambda: multicrop.latest is not None, timeout=30_000)
    assert multicrop.latest["params"]["seed"] == 3
    window.close()
