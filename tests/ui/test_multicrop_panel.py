"""The multi-crop page in the app: it trains live through its engine controller, draws the twin on
the same axes, colours the pair matrix by loss, shows a clicked crop's distribution, resamples,
takes a lecturer's photos (and refuses bad ones with one message), and restyles at every zoom."""
import shutil

import numpy as np
import pytest
from PySide6 import QtCore

from desktop.app import application, wait_for_step
from resources.paths import bundled_images
from widgets.theme import DARK, LIGHT
from window_helpers import wait_snapshot

pytestmark = pytest.mark.window(pages=("multicrop",), theme=LIGHT, zoom=1.0)


def test_first_snapshot_shows_step_0_chance_and_the_pair_matrix(qtbot, window):
    panel = window.panels["multicrop"]
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=5000)
    snapshot = panel.snapshot
    assert snapshot["num_images"] == len(bundled_images()) >= 12
    assert panel.chance_line.value() == pytest.approx(1 / snapshot["num_images"])
    assert panel.start_line.value() == pytest.approx(snapshot["part_whole_accuracy_start"])
    assert "16\u00d716 px" in panel.caption.text() and "8 local" in panel.caption.text()
    assert panel.matrix.num_loss_terms == 18
    assert panel.photo_combo.count() == snapshot["num_images"]
    assert len(panel.photo.views) == 10 and panel.photo.marks[2] in ("\u2713", "\u2717")


@pytest.mark.soak
def test_training_moves_both_curves_and_colours_the_matrix(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    snapshot = wait_for_step(application(), controller, 60)
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot["step"] >= 50, timeout=10000)
    x, y = panel.accuracy_plot._curves["multicrop"][0].getData()
    tx, ty = panel.accuracy_plot._curves["twin"][0].getData()
    assert len(x) >= 3 and len(tx) == len(x)
    losses = panel.matrix.losses
    assert losses.shape == (2, 10) and np.isnan(losses[0, 0]) and np.isnan(losses[1, 1])
    assert np.isfinite(losses[0, 2:]).all()
    assert snapshot["history"]["part_whole_accuracy"][0] == snapshot["part_whole_accuracy_start"]


@pytest.mark.soak
def test_twin_switch_hides_its_curve(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    qtbot.keyClick(window, QtCore.Qt.Key_T)  # the page's switch key
    wait_snapshot(qtbot, controller, lambda s: s["params"]["twin"] is False)
    controller.step(30)
    qtbot.waitUntil(lambda: panel.snapshot["step"] >= 30, timeout=20000)
    _, ty = panel.accuracy_plot._curves["twin"][0].getData()
    assert ty is None or len(ty) == 0
    assert "twin off" in panel.caption.text()


def test_clicking_a_local_crop_chooses_it(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    panel.photo.grab()  # lays the crops out
    rects = panel.photo.box_rects
    assert len(rects) == 10
    # The smallest crop under the centre of L4's box: L4 itself or a smaller local on top of it.
    qtbot.mouseClick(panel.photo, QtCore.Qt.LeftButton, pos=rects[5].center().toPoint())
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["params"]["chosen_crop"] != 0 or s["chosen_local"] == 0)
    chosen = snapshot["chosen_local"]
    assert panel.photo.selected == 2 + chosen
    assert panel.distribution_plot.title.startswith(f"L{chosen + 1} \u2192 ")
    assert snapshot["chosen_teacher"].shape == (2, 32) and snapshot["chosen_student"].shape == (32,)
    assert snapshot["chosen_student"].sum() == pytest.approx(1.0, abs=1e-4)


def test_resample_draws_other_crops_without_touching_training(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    before = controller.latest["display_boxes"].copy()
    step = controller.latest["step"]
    qtbot.keyClick(window, QtCore.Qt.Key_N)
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["params"]["display_seed"] == 1)
    assert not np.array_equal(snapshot["display_boxes"], before) and snapshot["step"] == step


def test_showing_another_photo(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    panel.photo_combo.activated.emit(3)
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["display_index"] == 3)
    assert snapshot["photo_names"][3] == panel.photo_combo.itemText(3)


def test_a_lecturers_folder_joins_and_bad_files_get_one_message(qtbot, window, tmp_path):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    shutil.copy(bundled_images()["coffee"], tmp_path / "my coffee.jpg")
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    panel.add_photos([tmp_path])
    snapshot = wait_snapshot(qtbot, controller, lambda s: s["num_images"] == len(bundled_images()) + 1)
    assert snapshot["step"] == 0 and "my coffee" in snapshot["photo_names"]
    qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)
    assert "broken.png" in panel.message.text() and "training goes on" in panel.message.text()


def test_an_empty_folder_is_refused_and_training_goes_on(qtbot, window, tmp_path):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    panel.add_photos([tmp_path])
    qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)
    assert "no image files" in panel.message.text()
    assert controller.latest["num_images"] == len(bundled_images())
    controller.step(3)
    wait_snapshot(qtbot, controller, lambda s: s["step"] >= 3)


def test_inverted_scale_range_is_one_message(qtbot, window):
    panel, controller = window.panels["multicrop"], window.controllers["multicrop"]
    panel.apply_param("local_scale_min", 0.6)
    qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)
    assert "local_scale" in panel.message.text()
    assert controller.latest["params"]["local_scale_min"] == 0.05


@pytest.mark.parametrize("theme", [LIGHT, DARK])
@pytest.mark.parametrize("zoom", [1.0, 1.5, 2.0])
def test_restyles_at_every_zoom(qtbot, window, theme, zoom):
    window.set_theme(theme) if hasattr(window, "set_theme") else None
    panel = window.panels["multicrop"]
    panel.set_theme(theme, zoom)
    assert all(canvas.zoom == zoom for canvas in panel.canvases)
    assert not panel.grab().isNull()
