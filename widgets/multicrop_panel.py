"""The multi-crop page: DINO's global and local views of a real photograph, what the networks see,
which view is compared with which, and how much of each local crop lies inside each global one.

Nothing here trains: the views are drawn by engine.multicrop exactly as DINO's augmentation samples
them, and every number on the page (loss terms, cost, overlaps) comes from that module.
Reads top to bottom: images and thumbnails, the four drawings, then the page (build, wire, draw).
"""
from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from engine.multicrop import (
    DEFAULT_RATIO,
    FLIP_PROBABILITY,
    NUM_LOCAL_SPEC,
    CropView,
    MultiCropConfig,
    loss_pairs,
    relative_cost,
    sample_views,
)
from engine.params import ParameterError
from resources.paths import bundled_images
from widgets.control_column import ControlColumn, HideableControl
from widgets.controls import ParamSlider
from widgets.image_loading import (IMAGE_FILE_FILTER, ImageLoadError, LoadedImage, load_image,
                                   make_thumbnails, thumbnail_executor)
from widgets.multicrop_canvases import CoverageCanvas, PairMatrixCanvas, PhotoCanvas, ThumbnailCanvas
from widgets.theme import LIGHT, Theme

DEFAULT_IMAGE = "cat"
SEED_MAXIMUM = 2**31 - 1
MIN_DRAWING_HEIGHT = 470  # at zoom 1; ten local rows stay legible down to this
OPEN_IMAGE_TEXT = "Open image..."

HELP_TEXT = """
<p><b>Part-to-whole learning.</b> DINO cuts every training image into several views: random
crops whose area is a fraction of the image drawn from a scale range, with an aspect ratio between
3:4 and 4:3, resized to the network's input size and mirrored half the time.</p>
<p><b>Global views</b> (blue, solid) are large: 2 of them, scale 0.4&ndash;1, 224&nbsp;px.
<b>Local views</b> (green, dashed) are small: scale 0.05&ndash;0.4, 96&nbsp;px.</p>
<p><b>The teacher sees only the two global views.</b> The student sees every view and must
produce, from each one, the teacher's output for each <i>other</i> global view. From a patch of
fur the student has to predict what the teacher says about the whole cat: it must learn which
parts belong to which whole (local-to-global correspondence). A view is never compared with
itself: that pair is skipped.</p>
<p><b>Cheap extra views.</b> A 96&nbsp;px local view has (96/224)&sup2; &asymp; 18% of a global
view's pixels, so 8 locals add about 37% to the pixels the networks process. In DINO's Table 8,
adding 10 local views raised ImageNet linear accuracy from 67.8% to 74.6% (100 epochs).</p>
<p><b>Defaults</b> are DINO's (main_dino.py): 2 global crops, scale 0.4&ndash;1, 224&nbsp;px;
8 local crops, scale 0.05&ndash;0.4, 96&nbsp;px. The arrows (bottom left) show how much of each
local crop lies inside each global crop: a local crop outside both still has to predict them.</p>
"""


def _scale_box(tip: str) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox()
    box.setRange(0.0, 1.0)  # 0 can be typed: it gets a message, not a silent clamp
    box.setDecimals(2)
    box.setSingleStep(0.05)
    box.setKeyboardTracking(False)  # apply on Enter or arrows, not on each keystroke
    box.setToolTip(tip)
    return box


class MultiCropPanel(ControlColumn, QtWidgets.QWidget):
    """The multi-crop page: DINO's views of a photograph, and what the loss does with them."""

    PAGE_KEY = "multicrop"
    TITLE = "Multi-crop"
    # The window's Panel interface (widgets.panel_base.Panel): this page trains nothing, so it has
    # no parameter switches, plots or snapshots.
    controls: dict = {}
    plots: list = []
    snapshot = None

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.theme, self.zoom = theme, 1.0
        self.image: LoadedImage | None = None
        self.config = MultiCropConfig()
        self.seed = 0
        self.views: list[CropView] = []
        self.thumbnails: list[QtGui.QImage] | None = None
        self._thumbnail_job: tuple[int, Future] | None = None
        self._thumbnail_request: tuple[int, np.ndarray, list[CropView]] | None = None
        self._generation = 0

        # build: headline, caption, message
        self.verdict = QtWidgets.QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()

        # build: controls
        self.resample_button = QtWidgets.QPushButton("Resample")
        self.resample_button.setToolTip("Draw a fresh set of views: the seed goes up by one (N)")
        self.seed_box = QtWidgets.QSpinBox()
        self.seed_box.setRange(0, SEED_MAXIMUM)
        self.seed_box.setKeyboardTracking(False)
        self.seed_box.setToolTip("The same seed gives the same views, here and in "
                                 "`distill-lab crops --seed S`. Type a seed to bring a set back.")
        seed_label = QtWidgets.QLabel("Seed")
        seed_label.setToolTip(self.seed_box.toolTip())
        self.seed_label = seed_label
        self.image_combo = QtWidgets.QComboBox()
        self.image_combo.setToolTip("The photograph to crop: a bundled public-domain or CC0 photo, or "
                                    "your own file (Open image...)")
        for name, path in bundled_images().items():
            self.image_combo.addItem(name, str(path))
        self.image_combo.insertSeparator(self.image_combo.count())
        self.image_combo.addItem(OPEN_IMAGE_TEXT, None)
        self.locals_slider = ParamSlider(NUM_LOCAL_SPEC)
        self.locals_slider.setToolTip(NUM_LOCAL_SPEC.help + " DINO's default: 8. Each adds 2 loss terms.")
        self.global_min = _scale_box("Smallest area of a global crop, as a fraction of the image (DINO: 0.4)")
        self.global_max = _scale_box("Largest area of a global crop, as a fraction of the image (DINO: 1)")
        self.local_min = _scale_box("Smallest area of a local crop, as a fraction of the image (DINO: 0.05)")
        self.local_max = _scale_box("Largest area of a local crop, as a fraction of the image (DINO: 0.4)")
        self.defaults_button = QtWidgets.QPushButton("DINO defaults")
        self.defaults_button.setToolTip("8 locals, global scale 0.4-1, local scale 0.05-0.4 (main_dino.py)")
        self._show_config(self.config)

        view_box = QtWidgets.QGroupBox("Views")
        view_layout = QtWidgets.QGridLayout(view_box)
        view_layout.addWidget(self.resample_button, 0, 0, 1, 2)
        view_layout.addWidget(seed_label, 1, 0)
        view_layout.addWidget(self.seed_box, 1, 1)
        image_label = QtWidgets.QLabel("Image")
        image_label.setToolTip(self.image_combo.toolTip())
        self.image_label = image_label
        view_layout.addWidget(image_label, 2, 0)
        view_layout.addWidget(self.image_combo, 2, 1)
        crops_box = QtWidgets.QGroupBox("Crops")
        crops_layout = QtWidgets.QGridLayout(crops_box)
        crops_layout.addWidget(self.locals_slider, 0, 0, 1, 3)
        self.scale_labels: list[QtWidgets.QLabel] = []
        for row, (text, low, high) in enumerate((("Global scale", self.global_min, self.global_max),
                                                 ("Local scale", self.local_min, self.local_max)), start=1):
            label = QtWidgets.QLabel(text)
            label.setToolTip(f"{text}: the range of crop areas, min and max, as fractions of the image, in (0, 1]")
            self.scale_labels.append(label)
            crops_layout.addWidget(label, row, 0)
            crops_layout.addWidget(low, row, 1)
            crops_layout.addWidget(high, row, 2)
        crops_layout.addWidget(self.defaults_button, 3, 0, 1, 3)
        help_box = QtWidgets.QGroupBox("How it works")
        help_layout = QtWidgets.QVBoxLayout(help_box)
        self.help_label = QtWidgets.QLabel(HELP_TEXT)
        self.help_label.setObjectName("help")
        self.help_label.setWordWrap(True)
        help_layout.addWidget(self.help_label)
        self.help_box = help_box

        control_column = QtWidgets.QWidget()
        control_column.setObjectName("controls")
        control_layout = QtWidgets.QVBoxLayout(control_column)
        control_layout.setContentsMargins(0, 0, 4, 0)
        for widget in (view_box, crops_box, help_box):
            control_layout.addWidget(widget)
        control_layout.addStretch(1)
        self.control_scroll = QtWidgets.QScrollArea()
        self.control_scroll.setWidget(control_column)
        self.control_scroll.setWidgetResizable(True)
        self.control_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)

        # build: the four drawings
        self.photo = PhotoCanvas(theme)
        self.thumbnail_view = ThumbnailCanvas(theme)
        self.matrix = PairMatrixCanvas(theme)
        self.coverage = CoverageCanvas(theme)
        self.canvases = (self.photo, self.thumbnail_view, self.matrix, self.coverage)
        drawings = QtWidgets.QWidget()
        columns = QtWidgets.QHBoxLayout(drawings)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(10)
        # Two independent columns: ten locals need the coverage rows taller than the matrix needs.
        for top, bottom, split in ((self.photo, self.coverage, (54, 46)), (self.thumbnail_view, self.matrix, (52, 48))):
            column = QtWidgets.QVBoxLayout()
            column.setSpacing(8)
            column.addWidget(top, split[0])
            column.addWidget(bottom, split[1])
            columns.addLayout(column, 1)

        # At a large presenter zoom on a small screen the drawings scroll rather than squash their text.
        self.drawings = drawings
        self.drawing_scroll = QtWidgets.QScrollArea()
        self.drawing_scroll.setWidget(drawings)
        self.drawing_scroll.setWidgetResizable(True)
        self.drawing_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        body = QtWidgets.QHBoxLayout()
        body.addWidget(self.control_scroll)
        body.addWidget(self.drawing_scroll, 1)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.addWidget(self.verdict)
        outer.addWidget(self.caption)
        outer.addWidget(self.message)
        outer.addLayout(body, 1)

        # wire
        self.resample_button.clicked.connect(self.resample)
        self.seed_box.valueChanged.connect(self.set_seed)
        self.image_combo.activated.connect(self._on_image_chosen)
        self.locals_slider.value_changed.connect(lambda _name, _value: self._apply_settings())
        for box in (self.global_min, self.global_max, self.local_min, self.local_max):
            box.valueChanged.connect(lambda _value: self._apply_settings())
        self.defaults_button.clicked.connect(self.restore_defaults)
        self._thumbnail_timer = QtCore.QTimer(self)
        self._thumbnail_timer.setInterval(20)
        self._thumbnail_timer.timeout.connect(self._collect_thumbnails)

        # first picture: drawn at once, thumbnails included, so a screenshot shows everything
        names = bundled_images()
        first = DEFAULT_IMAGE if DEFAULT_IMAGE in names else next(iter(names), None)
        if first is not None:
            self.set_image(first)
        self.wait_for_thumbnails()
        self.set_theme(theme, 1.0)

    # -- public API (the window binds Resample and the N key to resample) ---------------------------
    def resample(self) -> None:
        """Draw a fresh set of views: the next seed (shown in the seed box, so the set can be brought back)."""
        self.set_seed(self.seed + 1 if self.seed < SEED_MAXIMUM else 0)

    def set_seed(self, seed: int) -> None:
        """Show the views of ``seed`` with the current settings."""
        self.seed = int(seed)
        self.seed_box.blockSignals(True)
        self.seed_box.setValue(self.seed)
        self.seed_box.blockSignals(False)
        self._draw_views()

    def set_num_local(self, num_local: int) -> None:
        """Set the number of local crops (0 to 10), as if the slider had been moved."""
        self.locals_slider.set_value(int(num_local))
        self._apply_settings()

    def set_scales(self, global_scale: tuple[float, float] | None = None,
                   local_scale: tuple[float, float] | None = None) -> bool:
        """Set the scale ranges, as if typed in; False (and a message) if refused."""
        boxes = ((global_scale, self.global_min, self.global_max), (local_scale, self.local_min, self.local_max))
        for pair, low, high in boxes:
            if pair is not None:
                for box, value in ((low, pair[0]), (high, pair[1])):
                    box.blockSignals(True)
                    box.setValue(float(value))
                    box.blockSignals(False)
        return self._apply_settings()

    def apply_scenario(self, scenario) -> None:
        """Set image, crops and seed from a validated scenario."""
        params = scenario.params
        self.set_image(params["image"])
        self.locals_slider.set_value(int(params["num_local"]))
        self.set_scales(tuple(params["global_scale"]), tuple(params["local_scale"]))
        self.set_seed(int(params["seed"]))

    def apply_param(self, name: str, value: object) -> None:
        raise KeyError(f"the multi-crop page has no parameter {name!r}")  # controls is empty: never asked

    nudge_param = apply_param

    def reset_page(self) -> None:
        """R on this page draws a fresh set of views, as N does."""
        self.resample()

    def scenario_caption(self) -> str:
        return ""

    def scenario_params(self) -> dict:
        """The live settings, for saving as a scenario (a lecturer's own image is saved by name
        only when it is a bundled one)."""
        config = self.config
        name = self.image.name if self.image is not None and self.image.name in bundled_images() else "cat"
        return {"image": name, "num_local": config.num_local, "global_scale": list(config.global_scale),
                "local_scale": list(config.local_scale), "seed": self.seed}

    def restore_defaults(self) -> None:
        """DINO's settings: 8 locals, global scale 0.4-1, local scale 0.05-0.4."""
        self._show_config(MultiCropConfig())
        self._apply_settings()

    def set_image(self, name_or_path: str | Path) -> bool:
        """Crop a bundled photo (by name) or an image file; False, with a message, if it cannot be read."""
        bundled = bundled_images()
        key = str(name_or_path)
        try:
            if key in bundled:
                image = load_image(bundled[key], key)
            else:
                if not Path(key).exists():
                    if os.sep in key or Path(key).suffix:  # meant as a file
                        raise ImageLoadError(f"there is no file {key!r}")
                    raise ImageLoadError(f"no bundled image named {key!r} (there are {', '.join(bundled)}) "
                                         "and no such file")
                image = load_image(key)
        except ImageLoadError as error:
            kept = f" Still showing {self.image.name!r}." if self.image else ""
            self.show_message(f"Image not opened: {error}.{kept}")
            self._select_current_image()
            return False
        self.image = image
        self.show_message("")
        self._select_current_image()
        self._draw_views()
        return True

    def open_image_dialog(self) -> bool:
        """Ask for an image file and crop it; False if cancelled or unreadable."""
        start = str(self.image.path.parent) if self.image and self.image.path.parent != Path() else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open an image to crop", start, IMAGE_FILE_FILTER)
        if not path:
            self._select_current_image()
            return False
        return self.set_image(path)

    def set_theme(self, theme: Theme, zoom: float) -> None:
        """Restyle for a theme and presenter zoom: the drawings' text and lines scale with ``zoom``."""
        self.theme, self.zoom = theme, zoom
        for canvas in self.canvases:
            canvas.set_theme(theme, zoom)
        self.verdict.setStyleSheet(f"color: {theme.foreground};")
        self.resample_button.setMinimumHeight(int(38 * zoom))
        self.fit_control_column()
        self.drawings.setMinimumHeight(int(MIN_DRAWING_HEIGHT * zoom))

    def hideable_controls(self) -> list[HideableControl]:
        """The column's controls for View > Controls on this page (N still resamples when hidden)."""
        return [
            HideableControl("resample", "Resample", (self.resample_button,)),
            HideableControl("seed", "Seed", (self.seed_label, self.seed_box)),
            HideableControl("image", "Image", (self.image_label, self.image_combo)),
            HideableControl("num_local", "Local views", (self.locals_slider,)),
            HideableControl("global_scale", "Global scale",
                            (self.scale_labels[0], self.global_min, self.global_max)),
            HideableControl("local_scale", "Local scale", (self.scale_labels[1], self.local_min, self.local_max)),
            HideableControl("defaults", "DINO defaults", (self.defaults_button,)),
            HideableControl("help", "How it works", (self.help_box,)),
        ]

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return loss_pairs(self.views)

    @property
    def num_loss_terms(self) -> int:
        return len(self.pairs)

    @property
    def thumbnails_ready(self) -> bool:
        return self.thumbnails is not None

    def wait_for_thumbnails(self, timeout_s: float = 60.0) -> None:
        """Finish the thumbnails now (for screenshots and tests); the page otherwise fills them in."""
        while self._thumbnail_job is not None:
            self._thumbnail_job[1].result(timeout=timeout_s)
            self._collect_thumbnails()

    # -- settings -> views ---------------------------------------------------------------------------
    def _show_config(self, config: MultiCropConfig) -> None:
        for box, value in ((self.global_min, config.global_scale[0]), (self.global_max, config.global_scale[1]),
                           (self.local_min, config.local_scale[0]), (self.local_max, config.local_scale[1])):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.locals_slider.set_value(config.num_local)

    def _apply_settings(self) -> bool:
        """Validate the controls once, here; an invalid set keeps the last valid views on screen."""
        config = MultiCropConfig(
            num_local=int(self.locals_slider.value()),
            global_scale=(self.global_min.value(), self.global_max.value()),
            local_scale=(self.local_min.value(), self.local_max.value()),
        )
        try:
            config.validate()
        except ParameterError as error:
            text = str(error).replace("global_scale", "global scale").replace("local_scale", "local scale")
            self.show_message(f"Not applied: {text}. The views keep the last valid settings.")
            return False
        self.config = config
        self.show_message("")
        self._draw_views()
        return True

    def _on_image_chosen(self, index: int) -> None:
        path = self.image_combo.itemData(index)
        if path is None:
            self.open_image_dialog()
        elif self.image is None or Path(path) != self.image.path:
            self.set_image(self.image_combo.itemText(index) if self.image_combo.itemText(index) in bundled_images()
                           else path)

    def _select_current_image(self) -> None:
        """Point the image list at the image on screen, adding a lecturer's own file to the list."""
        if self.image is None:
            return
        index = self.image_combo.findData(str(self.image.path))
        if index < 0:
            index = self.image_combo.count() - 2  # before the separator and "Open image..."
            self.image_combo.insertItem(index, self.image.path.name, str(self.image.path))
            self.image_combo.setItemData(index, str(self.image.path), QtCore.Qt.ToolTipRole)
        self.image_combo.blockSignals(True)
        self.image_combo.setCurrentIndex(index)
        self.image_combo.blockSignals(False)

    # -- draw -------------------------------------------------------------------------------------------
    def _draw_views(self) -> None:
        if self.image is None:
            return
        self.views = sample_views(self.image.width, self.image.height, self.config, self.seed)
        self.thumbnails = None
        self._request_thumbnails()
        self.photo.set_views(self.image.qimage, self.views)
        self.thumbnail_view.set_views(self.views, None)
        self.matrix.set_views(self.views)
        self.coverage.set_views(self.views, None)
        self.verdict.setText(self.headline())
        self.caption.setText(self.caption_text())

    def headline(self) -> str:
        """The number of loss terms and the cost, in words."""
        return (f"{self.num_loss_terms} loss terms \u00b7 the networks process {relative_cost(self.views):.2f}\u00d7 "
                f"the pixels of two global views")

    def caption_text(self) -> str:
        """The live settings in words."""
        image, config = self.image, self.config
        size = f"{image.width} \u00d7 {image.height} px"
        if (image.width, image.height) != image.original_size:
            size += f", shrunk from {image.original_size[0]} \u00d7 {image.original_size[1]}"
        ratio = f"{DEFAULT_RATIO[0]:.2f}\u2013{DEFAULT_RATIO[1]:.2f}"
        local = (f"<b>{config.num_local} local</b> crops, area {config.local_scale[0]:.2f}\u2013"
                 f"{config.local_scale[1]:.2f}, {config.local_size} px" if config.num_local else "<b>no local crops</b>")
        return (f"<b>{image.name}</b> {size} \u00b7 seed {self.seed} \u00b7 <b>{config.num_global} global</b> crops, "
                f"area {config.global_scale[0]:.2f}\u2013{config.global_scale[1]:.2f}, {config.global_size} px "
                f"\u00b7 {local} \u00b7 aspect {ratio}, flip p = {FLIP_PROBABILITY:g}")

    # -- thumbnails, computed beside the GUI --------------------------------------------------------------
    def _request_thumbnails(self) -> None:
        self._generation += 1
        self._thumbnail_request = (self._generation, self.image.array, list(self.views))
        if self._thumbnail_job is None:
            self._start_thumbnail_job()

    def _start_thumbnail_job(self) -> None:
        generation, array, views = self._thumbnail_request
        self._thumbnail_request = None
        self._thumbnail_job = (generation, thumbnail_executor().submit(make_thumbnails, array, views))
        self._thumbnail_timer.start()

    def _collect_thumbnails(self) -> None:
        if self._thumbnail_job is None:
            self._thumbnail_timer.stop()
            return
        generation, future = self._thumbnail_job
        if not future.done():
            return
        self._thumbnail_job = None
        # Only the newest request is drawn; an older one finishing meanwhile is dropped.
        if self._thumbnail_request is not None:
            self._start_thumbnail_job()
        else:
            self._thumbnail_timer.stop()
        if generation != self._generation:
            return
        try:
            thumbnails = future.result()
        except Exception as error:  # noqa: BLE001 - a failed thumbnail must not take the page down
            self.show_message(f"Could not draw the thumbnails: {error}")
            return
        self.thumbnails = thumbnails
        self.thumbnail_view.set_views(self.views, thumbnails)
        self.coverage.set_views(self.views, thumbnails)
