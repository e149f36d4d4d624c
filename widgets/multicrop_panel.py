"""The multi-crop page: a small DINO trains live on crops of real photos, and a twin trained on the
two global crops only runs beside it. The gap between their part-to-whole accuracies is what the
local crops taught. Reads top to bottom: build the controls, build the plots and drawings, draw.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from engine.multicrop import CropView
from engine.multicrop_training import MULTICROP_TRAINING_PARAMS
from widgets.control_column import HideableControl
from widgets.diagrams.multicrop_diagram import MultiCropDiagram
from widgets.image_loading import IMAGE_FILE_FILTER, array_to_qimage
from widgets.multicrop_canvases import PairMatrixCanvas, PhotoCanvas
from widgets.panel_base import SimulationPanel
from widgets.plots import MetricPlot
from widgets.theme import DASH, DOT, OKABE_ITO

OPEN_IMAGE_TEXT = "Open image..."
ADD_FOLDER_TEXT = "Add folder..."
RIGHT, WRONG = "\u2713", "\u2717"
TEACHER_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["sky_blue"])  # G1, G2: the global views' blue, two shades

HELP_TEXT = """
<p><b>What trains.</b> A small DINO, live, on the bundled photos. Every step cuts each photo into
2 <b>global</b> crops (blue, 40&ndash;100% of its area) and N <b>local</b> crops (green, 5&ndash;40%),
with DINO's colour jitter, grayscale and blur. The <b>teacher sees only the globals</b>; the
student sees every crop and must predict, from each, the teacher's output on the <i>other</i>
global crops: 2&nbsp;&times;&nbsp;(N&nbsp;+&nbsp;1) loss terms (the pair matrix). From a patch the
student has to say what the teacher says about the whole photo. The matrix is drawn in the diagram
above the plots; hide that diagram (View &gt; Controls on this page) to see it as a panel with each
pair's live loss.</p>
<p><b>What the network sees.</b> Every crop, global and local, resized to 16&nbsp;&times;&nbsp;16
pixels (DINO: 224 and 96&nbsp;px), a 2-layer MLP, then DINO's head with 32 prototypes.</p>
<p><b>Part-to-whole accuracy.</b> Fresh local crops of every photo, never trained on, are each
matched to the most similar of fresh global crops (cosine of the student's features). Right when
that global crop is of the same photo; chance is 1 / number of photos.</p>
<p><b>The twin</b> starts from the same weights and trains on the very same global crops every step,
but never on a local one. It also improves on its start; the gap between the two curves is what the
local crops add. DINO Table 8: adding 10 local crops raised ImageNet accuracy from 67.8% to 74.6%.</p>
<p><b>Try.</b> Click a local crop on the photo to see its distribution against the teacher's. Set local crops to 0 and press Reset: the run becomes its twin.</p>
"""


class MultiCropPanel(SimulationPanel):
    PAGE_KEY = "multicrop"
    TITLE = "Multi-crop"
    PARAMS = MULTICROP_TRAINING_PARAMS

    # -- build ----------------------------------------------------------------------------
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        crops = QtWidgets.QGroupBox("Crops")
        crops_layout = QtWidgets.QVBoxLayout(crops)
        self.add_slider(crops_layout, "num_local")
        for name in ("global_scale_min", "global_scale_max", "local_scale_min", "local_scale_max"):
            self.add_slider(crops_layout, name)
        layout.addWidget(crops)
        dino = QtWidgets.QGroupBox("DINO")
        dino_layout = QtWidgets.QVBoxLayout(dino)
        self.add_slider(dino_layout, "teacher_temperature", marks=(0.04, 0.07))
        self.add_check(dino_layout, "centering").setObjectName("switch")
        self.add_check(dino_layout, "twin")
        self.add_slider(dino_layout, "learning_rate", minimum=1e-3, maximum=1.0)
        layout.addWidget(dino)
        photos = QtWidgets.QGroupBox("Photos")
        photos_layout = QtWidgets.QVBoxLayout(photos)
        self.photo_combo = QtWidgets.QComboBox()
        self.photo_combo.setToolTip("The photo whose crops are drawn (training uses all of them)")
        self.resample_button = QtWidgets.QPushButton("Resample crops")
        self.resample_button.setToolTip("Draw another set of the shown photo's crops (N); training is not touched")
        self.open_button = QtWidgets.QPushButton(OPEN_IMAGE_TEXT)
        self.open_button.setToolTip("Add your own photo to the training set (training restarts on the larger set)")
        self.folder_button = QtWidgets.QPushButton(ADD_FOLDER_TEXT)
        self.folder_button.setToolTip("Add every photo in a folder to the training set")
        for widget in (self.photo_combo, self.resample_button, self.open_button, self.folder_button):
            photos_layout.addWidget(widget)
        layout.addWidget(photos)
        self.photos_box = photos
        self.add_help(layout, HELP_TEXT)
        # wire (the page's own buttons; sliders and checks are wired by add_slider / add_check)
        self.photo_combo.activated.connect(lambda index: self.apply_param("chosen_photo", index))
        self.resample_button.clicked.connect(self.resample)
        self.open_button.clicked.connect(self.open_image_dialog)
        self.folder_button.clicked.connect(self.open_folder_dialog)

    def build_plots(self, grid: QtWidgets.QGridLayout) -> None:
        theme = self.theme
        self.accuracy_plot = MetricPlot("Part-to-whole accuracy", "accuracy", theme)
        self.accuracy_plot.setToolTip("How often a fresh local crop's nearest global crop is of the same "
                                      "photo: multi-crop (solid) and its twin trained on globals only (dashed).")
        self.accuracy_plot.add_curve("multicrop", "multi-crop", theme.local_view)
        self.accuracy_plot.add_curve("twin", "twin: 2 globals only", theme.global_view, DASH)
        self.start_line = self.accuracy_plot.add_reference(0.5, "step 0", DOT)
        self.chance_line = self.accuracy_plot.add_reference(0.07, "chance", DOT, theme.collapsed)
        self.accuracy_plot.setYRange(0, 1.02, padding=0)
        self.accuracy_plot.legend.setColumnCount(2)  # one row (placed in show_secondary_plots)
        self.kl_plot = MetricPlot("Local \u2192 global KL", "nats", theme)
        self.kl_plot.setToolTip("KL(teacher on a global crop || student on a local crop): same photo "
                                "(solid) falls as the student learns parts of wholes; other photos (dashed) stay high.")
        self.kl_plot.add_curve("same", "same photo", theme.local_view)
        self.kl_plot.add_curve("other", "other photos", theme.muted, DASH)
        self.kl_plot.legend.setOffset((8, 8))  # top left: "other" dips there first, "same" falls at once
        self.distribution_plot = MetricPlot("Chosen crop", "probability", theme, x_label="prototype")
        self.distribution_plot.setToolTip("The student's distribution over the prototypes (x axis) on the "
                                          "chosen local crop (green), beside the teacher's on the global "
                                          "crops G1 and G2 (blues).")
        self.teacher_bars = [pg.BarGraphItem(x=[], height=[], width=0.3, brush=colour, pen=None)
                             for colour in TEACHER_COLOURS]
        self.student_bars = pg.BarGraphItem(x=[], height=[], width=0.3, brush=theme.local_view, pen=None)
        for bars in (*self.teacher_bars, self.student_bars):
            self.distribution_plot.addItem(bars)
        self.distribution_plot.apply_style(theme, self.zoom)
        self.distribution_plot.setYRange(0, 1.02, padding=0)
        # Three ticks: four ran together in the bottom row's height at zoom 1.
        self.distribution_plot.getPlotItem().getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")], []])
        self.photo = PhotoCanvas(theme)
        self.photo.title = "Click a local crop"
        self.photo.setToolTip("One photo as training sees it, with one set of its crops. \u2713 / \u2717: the "
                              "photo a local crop's features point to is right / wrong. Click a crop to see "
                              "its distribution; Resample (N) draws another set.")
        self.matrix = PairMatrixCanvas(theme)
        self.matrix.title = "Loss per pair"
        self.canvases = (self.photo, self.matrix)
        self.plots = [self.accuracy_plot, self.kl_plot, self.distribution_plot]
        # One hero: part-to-whole accuracy with its twin, wide; the crops of one photo beside it; the
        # KL, the pair matrix and the chosen crop's distributions below. From HERO_ONLY_ZOOM the hero alone.
        grid.addWidget(self.accuracy_plot, 0, 0, 1, 2)
        grid.addWidget(self.photo, 0, 2)
        grid.addWidget(self.kl_plot, 1, 0)
        grid.addWidget(self.matrix, 1, 1)
        grid.addWidget(self.distribution_plot, 1, 2)
        self.secondary_plots = [self.photo, self.distribution_plot, self.kl_plot, self.matrix]
        self.photo.clicked.connect(self._on_crop_clicked)

    def show_secondary_plots(self) -> None:
        """As every page, the hero alone from HERO_ONLY_ZOOM (unless All plots); this page's grid is two
        rows: the hero row gets 3/5 of the height while the others are shown, all of it when not.
        The pair matrix is drawn once: in the diagram band while it shows (the Loss per pair panel
        then gives its room to the KL plot), else in the panel, with each pair's live loss."""
        super().show_secondary_plots()
        shown = self.photo.isVisibleTo(self)
        band = self.diagram.isVisibleTo(self)
        # The accuracy legend: bottom right in the short hero of zoom 1 (the curves live above 0.4);
        # top left when the hero is alone and tall (early steps score near the step-0 line, never
        # near 1), where at zoom 2 the bottom-right legend covered the chance label.
        self.accuracy_plot.legend.setOffset((-8, -8) if shown else (8, 8))
        self.matrix.setVisible(shown and not band)
        self.plot_grid.removeWidget(self.kl_plot)
        self.plot_grid.addWidget(self.kl_plot, 1, 0, 1, 2 if band else 1)
        for index, (row, column) in enumerate(((3, 1), (2 if shown else 0, 1), (0, 1 if shown else 0))):
            self.plot_grid.setRowStretch(index, row)
            self.plot_grid.setColumnStretch(index, column)

    def build_diagram(self) -> MultiCropDiagram:
        """The mechanism band above the plots: crops -> teacher (globals) and student (all) -> pairs."""
        return MultiCropDiagram()

    def hideable_controls(self) -> list[HideableControl]:
        """The base column's controls, and the photo box (N still resamples when it is hidden)."""
        controls = super().hideable_controls()
        help_index = next(i for i, control in enumerate(controls) if control.key == "help")
        controls.insert(help_index, HideableControl("photos", "Photos: shown, resample, open", (self.photos_box,)))
        return controls

    # -- actions --------------------------------------------------------------------------
    def resample(self) -> None:
        """Draw another set of the shown photo's crops (display only)."""
        self.apply_param("display_seed", (self.current_params()["display_seed"] + 1) % 2**31)

    def open_image_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Add a photo to the training set", "", IMAGE_FILE_FILTER)
        return self.add_photos([path]) if path else False

    def open_folder_dialog(self) -> bool:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Add a folder of photos to the training set")
        return self.add_photos([folder]) if folder else False

    def add_photos(self, paths: list[str | Path]) -> bool:
        """Send files or folders to the engine; it restarts on the larger set, or says what it refused."""
        self.show_message("")
        self.controller.set_param("add_photos", [str(p) for p in paths])
        return True

    def current_params(self) -> dict:
        return self.scenario_params()

    def _on_crop_clicked(self, index: int) -> None:
        local = index - 2
        if local >= 0:
            self.apply_param("chosen_crop", local)

    def apply_param(self, name: str, value: object) -> None:
        if name in self.controls:
            self.controls[name].set_value(value)
        self.send_param(name, value)

    # -- draw -----------------------------------------------------------------------------
    def caption_text(self, params: dict) -> str:
        locals_text = (f"<b>{params['num_local']} local</b> ({params['local_scale_min']:g}\u2013"
                       f"{params['local_scale_max']:g})" if params["num_local"] else "<b>no local crops</b>")
        return (f"2 global ({params['global_scale_min']:g}\u2013{params['global_scale_max']:g}) \u00b7 "
                f"{locals_text} \u00b7 all seen as {params['input_size']}\u00d7{params['input_size']} px \u00b7 "
                f"teacher T {params['teacher_temperature']:g} \u00b7 centering {'on' if params['centering'] else 'OFF'}"
                f" \u00b7 twin {'on' if params['twin'] else 'off'}")

    def live_state(self, snapshot: dict) -> tuple[str, str, str]:
        latest = snapshot["latest"]
        start = snapshot["part_whole_accuracy_start"]
        accuracy, twin = latest["part_whole_accuracy"], latest["part_whole_accuracy_twin"]
        twin_on = snapshot["params"]["twin"] and np.isfinite(twin)
        detail = (f"multi-crop {accuracy:.0%}" + (f" · twin {twin:.0%}" if twin_on else "")
                  + f" · step 0 {start:.0%} · chance {snapshot['chance']:.0%} ({snapshot['num_images']} photos)"
                  f" · KL same {latest['local_global_kl_same']:.2f} / other {latest['local_global_kl_other']:.2f}"
                  f" · step {snapshot['step']}")
        if snapshot["step"] == 0:
            return "Press Play: parts will learn to point to their wholes", "", detail
        gap = accuracy - twin if twin_on else None
        if gap is not None and gap > 0.02 and accuracy > start:
            return f"LOCAL CROPS HELP: {gap * 100:+.0f} points over the twin", "healthy", detail
        if gap is not None:
            return f"NO GAP YET: multi-crop {accuracy:.0%} vs twin {twin:.0%}", "", detail
        return f"Part-to-whole {accuracy:.0%} (from {start:.0%} at step 0)", "", detail

    def draw(self, snapshot: dict) -> None:
        history = snapshot["history"]
        steps = history["step"]
        params = snapshot["params"]
        self.accuracy_plot.set_curve("multicrop", steps, history["part_whole_accuracy"])
        twin = history["part_whole_accuracy_twin"]
        shown = np.isfinite(twin) if params["twin"] else np.zeros(len(steps), bool)
        self.accuracy_plot.set_curve("twin", steps[shown], twin[shown])
        self.start_line.setValue(snapshot["part_whole_accuracy_start"])
        self.chance_line.setValue(snapshot["chance"])
        self.kl_plot.set_curve("same", steps, history["local_global_kl_same"])
        self.kl_plot.set_curve("other", steps, history["local_global_kl_other"])
        self._draw_photo(snapshot)
        self._draw_distribution(snapshot)

    def _draw_photo(self, snapshot: dict) -> None:
        names = snapshot["photo_names"]
        if [self.photo_combo.itemText(i) for i in range(self.photo_combo.count())] != names:
            self.photo_combo.blockSignals(True)
            self.photo_combo.clear()
            self.photo_combo.addItems(names)
            self.photo_combo.blockSignals(False)
        self.photo_combo.setCurrentIndex(snapshot["display_index"])
        size = snapshot["input_size"]
        views = [CropView("global" if i < 2 else "local", tuple(int(v) for v in box), size, bool(flipped))
                 for i, (box, flipped) in enumerate(zip(snapshot["display_boxes"], snapshot["display_flipped"]))]
        key = (snapshot["display_index"], snapshot["display_boxes"].tobytes(), snapshot["display_photo"].shape)
        if getattr(self, "_drawn_photo_key", None) != key:
            self._drawn_photo_key = key
            self.photo.set_views(array_to_qimage(snapshot["display_photo"]), views)
            self.matrix.set_views(views)
            self.diagram.set_views(views)
        guesses = snapshot["local_guess"]
        marks = ["", ""] + [RIGHT if guess == snapshot["display_index"] else WRONG for guess in guesses]
        self.photo.set_marks(marks, 2 + snapshot["chosen_local"] if snapshot["chosen_local"] >= 0 else -1)
        self.matrix.set_losses(snapshot["pair_losses"] if snapshot["step"] else None)

    def _draw_distribution(self, snapshot: dict) -> None:
        chosen = snapshot["chosen_local"]
        teacher = snapshot["chosen_teacher"]
        index = np.arange(teacher.shape[1])
        for offset, bars, row in ((-0.3, self.teacher_bars[0], 0), (0.0, self.teacher_bars[1], 1)):
            bars.setOpts(x=index + offset, height=teacher[row], brush=TEACHER_COLOURS[row])
        if chosen < 0:
            self.student_bars.setOpts(x=[], height=[])
            title = "Chosen crop: no local crops"
        else:
            self.student_bars.setOpts(x=index + 0.3, height=snapshot["chosen_student"], brush=self.theme.local_view)
            guess = int(snapshot["local_guess"][chosen])
            names = snapshot["photo_names"]
            verdict = RIGHT if guess == snapshot["display_index"] else WRONG
            title = f"L{chosen + 1} \u2192 {names[guess]} {verdict}"
        self.distribution_plot.title = title
        self.distribution_plot.getPlotItem().setTitle(title, color=self.theme.foreground,
                                                      size=f"{round(13 * 1.15 * self.zoom)}pt", bold=True)
        self.distribution_plot.setXRange(-0.6, teacher.shape[1] - 0.4, padding=0)
        # The colour key in the x axis's label: a legend inside this small plot covered the bars.
        # The crops' names and colours as everywhere on the page: the student on the local crop, the
        # teacher on each global one.
        local = f"L{chosen + 1}" if chosen >= 0 else "local"
        key = " ".join(f"<span style='color:{colour}'>\u25a0 {name}</span>" for colour, name in (
            (self.theme.local_view, f"student {local}"), (TEACHER_COLOURS[0], "G1"), (TEACHER_COLOURS[1], "G2")))
        axis = self.distribution_plot.getPlotItem().getAxis("bottom")
        if axis.labelText != key:
            axis.setLabel(key)

    def set_theme(self, theme, zoom: float) -> None:
        super().set_theme(theme, zoom)
        for canvas in self.canvases:
            canvas.set_theme(theme, zoom)
