"""Presenter zoom on a 1280x720 projector: the window keeps its size at every zoom step the View
menu offers (no minimum over it), and from HERO_ONLY_ZOOM the hero plot keeps a readable share of the window; what is dropped for it
(the picture line, the caption's lines, the diagram) stays reachable."""
import pytest

from desktop.settings import ZOOM_STEPS
from widgets.ablation_panel import TABLE_COLUMNS
from widgets.panel_base import HERO_ONLY_ZOOM

HERO = {"byol": "spread_plot", "dino": "usage_plot", "multicrop": "accuracy_plot", "ablation": "parts"}
# Every step Ctrl+= and Ctrl+- reach, up and down, and a jump: half-way through a change a page
# can want more height than 720 px, and a window does not shrink back by itself.
ZOOMS = ZOOM_STEPS + ZOOM_STEPS[::-1] + (1.15, 2.0, 1.0)


def settle(qtbot):
    qtbot.wait(60)  # the layout requests posted by the zoom change run


def check_fits(qtbot, window, page):
    panel = window.panels[page]
    for zoom in ZOOMS:
        window.set_zoom(zoom)
        settle(qtbot)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 720, (page, zoom, hint)
        # Back to 1280x720 once the layouts have settled (on a loaded machine that can take longer
        # than the wait above; a window that stays taller fails here).
        qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720), timeout=3000)
        hero = getattr(panel, HERO[page])
        assert hero.isVisible()
        if zoom >= HERO_ONLY_ZOOM:
            assert hero.width() >= 0.4 * window.width(), (page, zoom, hero.size())
            assert hero.height() >= 0.3 * window.height(), (page, zoom, hero.size())


@pytest.mark.window(pages=("byol",))
def test_byol_keeps_the_window_size_and_a_large_hero_at_every_zoom(qtbot, window):
    check_fits(qtbot, window, "byol")


@pytest.mark.soak  # ~2.5 s a page (19 zoom changes); BYOL's walk stays in the quick subset
@pytest.mark.parametrize("page", ["dino", "multicrop", "ablation"])
def test_every_page_keeps_the_window_size_and_a_large_hero(qtbot, open_window, page):
    window = open_window(pages=(page,))
    check_fits(qtbot, window, page)


@pytest.mark.window(pages=("byol",), zoom=2.0)
def test_what_high_zoom_drops_stays_reachable(qtbot, window):
    panel = window.panels["byol"]
    settle(qtbot)
    strip = panel.lesson_strip
    assert strip.key_idea.isVisible() and not strip.picture.isVisible()
    assert strip.text.picture in strip.toolTip()
    # One caption line on screen; the whole caption (the settings in words) in its tooltip.
    assert "<br>" not in panel.caption.text()
    assert "stop-gradient on" in panel.caption.toolTip()
    # The diagram would squeeze the hero at 1280 px: hidden, and All plots brings it back.
    assert not panel.diagram.isVisible()
    window.toggle_all_plots()  # View > All plots and diagram, as the page's own box
    assert panel.all_plots.isChecked()
    assert panel.diagram.isVisible() and panel.loss_plot.isVisible()
    panel.all_plots.setChecked(False)
    assert not panel.diagram.isVisible()
    window.set_zoom(1.0)
    settle(qtbot)
    assert panel.diagram.isVisible() and strip.picture.isVisible() and panel.caption.toolTip() == ""
    assert "font-size" not in panel.verdict.styleSheet()  # a verdict shrunk at zoom 2 is full size again


@pytest.mark.window(pages=("dino",), zoom=2.0)
def test_a_long_verdict_shrinks_to_one_line_at_zoom_2(qtbot, window):
    panel = window.panels["dino"]
    settle(qtbot)
    panel.verdict.setText("")
    panel.show_snapshot(panel.snapshot)
    settle(qtbot)
    holder = panel.verdict.parentWidget()
    lines = holder.height() / panel.verdict.fontMetrics().lineSpacing()
    assert lines < 1.5, (panel.verdict.text(), holder.height())


@pytest.mark.window(pages=("dino",))
def test_slider_names_wrap_rather_than_lose_their_end(qtbot, window):
    panel = window.panels["dino"]

    def lines(label) -> float:
        return label.height() / label.fontMetrics().lineSpacing()

    for zoom in (1.0, 2.0):
        window.set_zoom(zoom)
        settle(qtbot)
        for name, control in panel.controls.items():
            label = getattr(control, "label", None)
            if label is None or not label.isVisibleTo(panel):
                continue
            one_line = label.fontMetrics().horizontalAdvance(label.text())
            if zoom == 1.0:  # the column is wide enough: one line each
                assert one_line <= label.width() and lines(label) < 1.5, (name, label.size())
            else:  # "Teacher temperature" wraps at zoom 2: every word in sight
                assert label.height() >= label.heightForWidth(label.width()), (name, label.size())
    assert lines(panel.controls["teacher_temperature"].label) > 1.5  # the case this is about


@pytest.mark.window(pages=("ablation",), zoom=2.0)
def test_the_ablation_verdict_and_the_agrees_column_stay_in_sight_at_zoom_2(qtbot, window):
    panel = window.panels["ablation"]
    settle(qtbot)
    holder = panel.verdict.parentWidget()
    assert holder.height() / panel.verdict.fontMetrics().lineSpacing() < 1.5, panel.verdict.text()
    table = panel.table
    agrees = TABLE_COLUMNS.index("Agrees?")
    # Its heading in full: before training it reads "... at step 1500", cut, until the grid is judged.
    header_width = table.horizontalHeader().fontMetrics().horizontalAdvance("Agrees?")
    right_edge = table.columnViewportPosition(agrees) + header_width
    assert 0 <= table.columnViewportPosition(agrees) and right_edge <= table.viewport().width()
    window.set_zoom(1.0)
    settle(qtbot)
    assert not any(table.isColumnHidden(column) for column in range(len(TABLE_COLUMNS)))
