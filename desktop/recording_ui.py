"""Recording in the app: Ctrl+R (File menu) starts and stops recording the page in view, a red
marker with the elapsed time shows in the status bar meanwhile (outside the page, so never in the
clip), and File > Recording options chooses what is recorded, the format, frame rate, scale and
folder (remembered in the settings)."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from desktop import recording
from desktop.recording import DEFAULT_FPS, FPS_RANGE, Recorder, RecordingError, RecordingResult
from desktop.settings import read_float
from widgets.theme import OKABE_ITO

WHOLE_PAGE = "Whole page"


class RecordingOptions(QtWidgets.QDialog):
    """What to record (the whole page or one plot of the page in view), format, fps, scale, folder."""

    def __init__(self, parent, parts: list[str], options: dict):
        super().__init__(parent)
        self.setWindowTitle("Recording options")
        self.part = QtWidgets.QComboBox()
        self.part.addItems(parts)
        self.part.setCurrentIndex(max(0, self.part.findText(options["part"])))
        self.format = QtWidgets.QComboBox()
        self.format.addItem("Animated GIF", "gif")
        self.format.addItem("MP4 video" if recording.mp4_available()
                            else f"MP4 video (needs: {recording.VIDEO_EXTRA_HINT})", "mp4")
        self.format.model().item(1).setEnabled(recording.mp4_available())
        self.format.setCurrentIndex(1 if options["format"] == "mp4" and recording.mp4_available() else 0)
        self.fps = QtWidgets.QSpinBox()
        self.fps.setRange(*FPS_RANGE)
        self.fps.setSuffix(" frames/s")
        self.fps.setValue(int(options["fps"]))
        self.scale = QtWidgets.QComboBox()
        self.scale.addItem("1x (as on screen)", 1.0)
        self.scale.addItem("2x (high-resolution projectors)", 2.0)
        self.scale.setCurrentIndex(1 if options["scale"] == 2.0 else 0)
        self.folder = QtWidgets.QLineEdit(options["folder"])
        browse = QtWidgets.QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        folder_row = QtWidgets.QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Record", self.part)
        form.addRow("Format", self.format)
        form.addRow("Frame rate", self.fps)
        form.addRow("Scale", self.scale)
        form.addRow("Folder", folder_row)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Save recordings in", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def options(self) -> dict:
        return {"part": self.part.currentText(), "format": self.format.currentData(),
                "fps": self.fps.value(), "scale": self.scale.currentData(), "folder": self.folder.text()}


class RecordingControl(QtCore.QObject):
    """The window's recording: start/stop, the marker, the options, the messages."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.window = window
        self.recorder = Recorder(self)
        self.last_result: RecordingResult | None = None
        self.last_error = ""
        self.marker = QtWidgets.QLabel()
        self.marker.setObjectName("recordingMarker")
        self.marker.setStyleSheet(f"color: {OKABE_ITO['vermillion']}; font-weight: bold;")
        self.marker.hide()
        window.statusBar().addPermanentWidget(self.marker)
        self.recorder.tick.connect(self._show_elapsed)
        self.recorder.failed.connect(self._on_failed)
        window.tabs.currentChanged.connect(self._on_page_changed)

    # -- options --------------------------------------------------------------------------
    def options(self) -> dict:
        settings = self.window.settings
        default_folder = (QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.MoviesLocation)
                          or str(Path.home()))
        folder = settings.value("recording/folder", default_folder)
        fmt = settings.value("recording/format", "gif")
        return {"part": str(settings.value("recording/part", WHOLE_PAGE)),
                "format": fmt if fmt in ("gif", "mp4") else "gif",
                "fps": int(read_float(settings, "recording/fps", DEFAULT_FPS, *FPS_RANGE)),
                "scale": 2.0 if read_float(settings, "recording/scale", 1.0, 1.0, 2.0) == 2.0 else 1.0,
                "folder": folder if isinstance(folder, str) else default_folder}

    def set_options(self, options: dict) -> None:
        for name, value in options.items():
            self.window.settings.setValue(f"recording/{name}", value)
        self.window.settings.sync()

    def choose_options(self) -> None:
        parts = [label for label, _ in recording.recordable_parts(self.window.current_panel())]
        dialog = RecordingOptions(self.window, parts, self.options())
        if dialog.exec() == QtWidgets.QDialog.Accepted:
            self.set_options(dialog.options())

    # -- start and stop -------------------------------------------------------------------
    def toggle(self) -> None:
        if self.recorder.recording:
            self.stop()
        else:
            self.start()

    def start(self, path: str | Path | None = None) -> bool:
        """Record the page in view (or the chosen plot of it); False, with a message, if it cannot."""
        options = self.options()
        key = self.window.current_page().key
        parts = dict(recording.recordable_parts(self.window.current_panel()))
        widget = parts.get(options["part"], parts[WHOLE_PAGE])
        if path is None:
            folder = Path(options["folder"])
            path = folder / f"distill-lab-{key}-{QtCore.QDateTime.currentDateTime().toString('yyyyMMdd-HHmmss')}.{options['format']}"
        try:
            self.recorder.start(widget, path, options["fps"], options["scale"])
        except RecordingError as error:
            self._say_failure(f"Recording not started: {error}.")
            return False
        self.last_error = ""
        what = "the page" if widget is parts[WHOLE_PAGE] else f"the plot {options['part']}"
        self.window.statusBar().showMessage(f"Recording {what} to {Path(path).name} (Ctrl+R stops)", 4000)
        self.marker.show()
        self._show_elapsed(0.0)
        return True

    def stop(self) -> RecordingResult | None:
        result = self.recorder.stop()
        self.marker.hide()
        if result is not None:
            self.last_result = result
            if not result.error:
                self.window.statusBar().showMessage(recording.describe(result), 10000)
        return result

    # -- what the hall sees -----------------------------------------------------------------
    def _show_elapsed(self, seconds: float) -> None:
        minutes, rest = divmod(int(seconds), 60)
        self.marker.setText(f"\u25cf REC {minutes}:{rest:02d}")

    def _on_failed(self, message: str) -> None:
        self.marker.hide()
        self._say_failure(message)

    def _say_failure(self, message: str) -> None:
        """One message, in a box that does not stop training or take the keyboard for long."""
        self.last_error = message
        self.window.statusBar().showMessage(message, 15000)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, "Recording", message,
                                    QtWidgets.QMessageBox.Ok, self.window)
        box.setWindowModality(QtCore.Qt.NonModal)
        box.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        box.show()

    def _on_page_changed(self, _index: int) -> None:
        if self.recorder.recording:  # the clip is of one page: another page ends it
            self.stop()
