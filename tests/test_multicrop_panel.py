"""The multi-crop page, offscreen: it builds, resamples reproducibly, follows its controls, refuses bad
settings and unreadable images with a message while keeping what is on screen, and restyles."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from engine.multicrop import MultiCropConfig, loss_pairs, relative_cost, sample_views  # noqa: E402
from resources.paths import bundled_images  # noqa: E402
from widgets.multicrop_panel import MultiCropPanel  # noqa: E402
from widgets.theme import DARK, LIGHT  # noqa: E402


@pytest.fixture
def panel(qtbot):
    widget = MultiCropPanel(LIGHT)
    qtbot.addWidget(widget)
    widget.resize(1280, 660)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def write_image(path, width, height, colour="#CC3311"):
    image = QtGui.QImage(width, height, QtGui.QImage.Format_RGB888)
    image.fill(QtGui.QColor(colour))
    assert image.save(str(path))
    return path


def test_page_builds_with_dino_defaults(panel):
    assert (panel.PAGE_KEY, panel.TITLE) == ("multicrop", "Multi-crop")
    assert panel.image.name == "cat" and (panel.image.width, panel.image.height) == (451, 300)
    assert [view.kind for view in panel.views] == ["global"] * 2 + ["local"] * 8
    # The same views as the engine draws for this image, settings and seed (and as the CLI prints).
    assert panel.views == sample_views(451, 300, MultiCropConfig(), panel.seed)
    assert panel.num_loss_terms == 18 and panel.matrix.num_loss_terms == 18
    assert "18 loss terms" in panel.verdict.text() and "1.37" in panel.verdict.text()
    assert "cat" in panel.caption.text() and "seed 0" in panel.caption.text()
    assert panel.verdict.objectName() == "verdict" and panel.caption.objectName() == "caption"
    assert panel.thumbnails_ready and len(panel.thumbnails) == 10
    assert not panel.message.isVisible()


def test_every_control_has_a_tooltip(panel):
    controls = [panel.resample_button, panel.seed_box, panel.image_combo, panel.locals_slider.slider,
                panel.global_min, panel.global_max, panel.local_min, panel.local_max, panel.defaults_button]
    assert all(control.toolTip() for control in controls)
    assert all(canvas.toolTip() for canvas in panel.canvases)


def test_resample_draws_a_new_set_and_the_seed_brings_it_back(panel, qtbot):
    first_seed, first_views = panel.seed, list(panel.views)
    panel.resample()
    assert panel.seed == first_seed + 1 and panel.seed_box.value() == panel.seed
    assert panel.views != first_views
    second_views = list(panel.views)
    qtbot.mouseClick(panel.resample_button, QtCore.Qt.LeftButton)
    assert panel.views not in (first_views, second_views)
    panel.seed_box.setValue(first_seed)  # typing a seed brings its set back
    assert panel.views == first_views
    panel.set_seed(first_seed + 1)
    assert panel.views == second_views
    qtbot.waitUntil(lambda: panel.thumbnails_ready, timeout=30_000)
    assert len(panel.thumbnails) == len(panel.views)


def test_thumbnails_are_at_network_resolution_and_share_one_scale(panel):
    panel.wait_for_thumbnails()
    sizes = [(image.width(), image.height()) for image in panel.thumbnails]
    assert sizes == [(224, 224)] * 2 + [(96, 96)] * 8
    panel.grab()  # lays the thumbnails out
    cells = panel.thumbnail_view.cells
    assert len(cells) == 10
    global_side, local_side = cells[0].width(), cells[2].width()
    assert global_side / local_side == pytest.approx(224 / 96, rel=1e-6)
    assert local_side < global_side / 2


def test_thumbnails_show_the_flip(panel):
    panel.wait_for_thumbnails()
    flipped = [i for i, view in enumerate(panel.views) if view.flipped]
    assert flipped, "seed 0 has flipped views"
    from engine.multicrop import crop_to_array
    from widgets.image_loading import qimage_to_array

    for index in flipped[:2]:
        expected = crop_to_array(panel.image.array, panel.views[index])
        assert np.array_equal(qimage_to_array(panel.thumbnails[index]), expected)


@pytest.mark.parametrize("num_local,terms", [(0, 2), (10, 22), (3, 8)])
def test_number_of_locals_updates_the_pair_matrix(panel, num_local, terms):
    panel.locals_slider.slider.setValue(num_local)  # as if dragged
    assert len(panel.views) == 2 + num_local
    assert panel.num_loss_terms == terms and panel.matrix.num_loss_terms == terms
    assert panel.matrix.pairs == set(loss_pairs(panel.views))
    assert panel.matrix.teacher_views == [0, 1]
    assert f"{terms} loss terms" in panel.verdict.text()
    assert f"{relative_cost(panel.views):.2f}" in panel.verdict.text()
    assert panel.coverage.coverage.shape == (num_local, 2)
    panel.wait_for_thumbnails()
    assert not panel.grab().isNull()


def test_zero_locals_costs_exactly_two_global_views(panel):
    panel.set_num_local(0)
    assert "1.00\u00d7" in panel.verdict.text() and "no local crops" in panel.caption.text()


def test_an_invalid_scale_range_shows_a_message_and_keeps_the_views(panel):
    panel.global_max.setValue(0.7)  # valid: (0.4, 0.7)
    assert not panel.message.isVisible()
    views = list(panel.views)
    panel.global_min.setValue(0.9)  # min > max: refused
    assert panel.message.isVisible()
    assert "greater than" in panel.message.text() and "global scale" in panel.message.text()
    assert panel.views == views and panel.config.global_scale == (0.4, 0.7)
    # Resample still works, with the last valid settings; the message stays until the range is fixed.
    panel.resample()
    assert panel.message.isVisible()
    assert panel.views == sample_views(451, 300, panel.config, panel.seed)
    panel.global_max.setValue(1.0)  # fixed: the message goes and the new range is used
    assert not panel.message.isVisible()
    assert panel.config.global_scale == (0.9, 1.0)
    assert all(view.area >= 0.9 * 451 * 300 * 0.97 for view in panel.views if view.is_global)


def test_a_zero_scale_is_refused_with_a_message(panel):
    views = list(panel.views)
    assert panel.set_scales(local_scale=(0.0, 0.4)) is False
    assert panel.message.isVisible() and "(0, 1]" in panel.message.text()
    assert panel.views == views
    assert panel.set_scales(local_scale=(0.05, 0.4)) is True
    assert not panel.message.isVisible()


def test_scale_ranges_at_their_limits(panel):
    assert panel.set_scales(global_scale=(1.0, 1.0), local_scale=(0.01, 0.01))
    panel.set_num_local(10)
    assert len(panel.views) == 12
    panel.wait_for_thumbnails()
    assert not panel.grab().isNull()
    panel.restore_defaults()
    assert panel.config == MultiCropConfig()


def test_a_corrupt_image_file_shows_a_message_and_keeps_the_image(panel, tmp_path):
    corrupt = tmp_path / "holiday.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    image, views = panel.image, list(panel.views)
    assert panel.set_image(corrupt) is False
    assert panel.message.isVisible() and "holiday.png" in panel.message.text()
    assert "cat" in panel.message.text()  # says what stays on screen
    assert panel.image is image and panel.views == views
    assert panel.image_combo.currentText() == "cat"


def test_unknown_name_and_missing_file_get_a_message(panel, tmp_path):
    assert panel.set_image("no-such-photo") is False
    assert panel.message.isVisible() and "no-such-photo" in panel.message.text()
    assert panel.set_image(tmp_path / "missing.jpg") is False
    assert panel.image.name == "cat"


def test_bundled_images_by_name_and_from_the_list(panel):
    assert panel.set_image("rocket") is True
    assert (panel.image.width, panel.image.height) == (640, 427)
    assert not panel.message.isVisible()
    index = panel.image_combo.findText("astronaut")
    panel.image_combo.setCurrentIndex(index)
    panel.image_combo.activated.emit(index)  # as if picked with the mouse
    assert panel.image.name == "astronaut"
    assert set(bundled_images()) <= {panel.image_combo.itemText(i) for i in range(panel.image_combo.count())}


def test_open_image_dialog_loads_the_lecturers_file(panel, tmp_path, monkeypatch):
    path = write_image(tmp_path / "my_photo.png", 200, 150)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    assert panel.open_image_dialog() is True
    assert panel.image.name == "my_photo" and (panel.image.width, panel.image.height) == (200, 150)
    assert panel.image_combo.currentText() == "my_photo.png"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *args, **kwargs: ("", ""))
    assert panel.open_image_dialog() is False  # cancelled: nothing changes
    assert panel.image.name == "my_photo" and panel.image_combo.currentText() == "my_photo.png"


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (2000, 60)])
def test_tiny_and_extreme_images_work(panel, tmp_path, size):
    path = write_image(tmp_path / f"img_{size[0]}x{size[1]}.png", *size)
    assert panel.set_image(path) is True
    panel.set_num_local(10)
    for view in panel.views:
        x, y, w, h = view.box
        assert 0 <= x and 0 <= y and x + w <= panel.image.width and y + h <= panel.image.height
    panel.wait_for_thumbnails()
    assert not panel.grab().isNull()


def test_a_large_image_is_shrunk_and_the_caption_says_so(panel, tmp_path):
    path = write_image(tmp_path / "big.png", 3000, 1500)
    assert panel.set_image(path)
    assert max(panel.image.width, panel.image.height) == 1024
    assert "shrunk from 3000 \u00d7 1500" in panel.caption.text()


@pytest.mark.parametrize("theme,zoom", [(DARK, 1.0), (LIGHT, 1.5), (DARK, 2.0), (LIGHT, 0.8)])
def test_set_theme_restyles(panel, theme, zoom):
    panel.set_theme(theme, zoom)
    assert panel.photo.theme is theme and panel.photo.zoom == zoom
    assert all(canvas.zoom == zoom for canvas in panel.canvases)
    assert theme.foreground.lower() in panel.verdict.styleSheet().lower()
    image = panel.grab().toImage()
    assert not image.isNull()
    # The drawing is painted in the theme's background colour.
    corner = panel.matrix.grab().toImage().pixelColor(2, panel.matrix.height() - 2)
    assert corner.name().lower() == theme.background.lower()


def test_control_column_can_be_hidden(panel):
    panel.set_controls_visible(False)
    assert not panel.control_scroll.isVisible()
    panel.resample()  # the N key still works without the controls
    panel.set_controls_visible(True)
    assert panel.control_scroll.isVisible()


def test_rapid_resamples_settle_on_the_last_set(panel, qtbot):
    for _ in range(5):
        panel.resample()
    qtbot.waitUntil(lambda: panel.thumbnails_ready, timeout=60_000)
    from engine.multicrop import crop_to_array
    from widgets.image_loading import qimage_to_array

    assert np.array_equal(qimage_to_array(panel.thumbnails[0]), crop_to_array(panel.image.array, panel.views[0]))
