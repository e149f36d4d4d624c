"""Recording in the app: Ctrl+R starts and stops it, the marker shows meanwhile and is never in the
clip, the whole page or one plot is recorded, a failed write stops the recording with one message
while training goes on."""
import errno
import io

import numpy as np
from PIL import Image
from PySide6 import QtCore

from desktop import recording
from window_helpers import wait_snapshot


def frames_of(path):
    image = Image.open(path)
    out = []
    for index in range(image.n_frames):
        image.seek(index)
        out.append(np.asarray(image.convert("RGB")))
    return out


def record_for(qtbot, window, path, seconds=1.0):
    control = window.recording
    assert control.start(path)
    qtbot.wait(int(seconds * 1000))
    return control.stop()


def test_ctrl_r_starts_and_stops_recording_the_page(qtbot, window, tmp_path):
    window.recording.set_options({"folder": str(tmp_path), "fps": 10})
    assert "Ctrl+R" in [s.toString() for a in window.file_menu.actions() for s in a.shortcuts()]
    window.controllers["byol"].play()
    qtbot.keyClick(window, QtCore.Qt.Key_R, QtCore.Qt.ControlModifier)
    assert window.recording.recorder.recording
    qtbot.waitUntil(lambda: window.recording.marker.isVisible())
    qtbot.waitUntil(lambda: window.recording.marker.text().endswith("0:01"), timeout=5000)
    qtbot.keyClick(window, QtCore.Qt.Key_R, QtCore.Qt.ControlModifier)
    assert not window.recording.recorder.recording and not window.recording.marker.isVisible()
    result = window.recording.last_result
    assert result.error == "" and result.frames >= 2 and result.seconds >= 1.0
    clip = frames_of(result.path)
    panel = window.panels["byol"]
    assert clip[0].shape == (panel.height() // 2 * 2, panel.width() // 2 * 2, 3)
    assert not np.array_equal(clip[0], clip[-1])  # training moved the plots
    assert result.path.parent == tmp_path and result.path.suffix == ".gif"


def test_the_marker_is_outside_what_is_recorded(qtbot, window, tmp_path):
    panel = window.panels["byol"]
    control = window.recording
    result = record_for(qtbot, window, tmp_path / "page.gif", 0.3)
    assert not panel.isAncestorOf(control.marker)
    # The status bar (where the marker is) is below the page: no frame row holds its red text.
    assert frames_of(result.path)[0].shape[0] == panel.height() // 2 * 2 < window.statusBar().y()


def test_one_plot_is_recorded_alone_at_twice_its_size(qtbot, window, tmp_path):
    plot = window.panels["byol"].plots[0]
    parts = dict(recording.recordable_parts(window.panels["byol"]))
    label = next(name for name, widget in parts.items() if widget is plot)
    window.recording.set_options({"part": label, "scale": 2.0})
    assert window.recording.start(tmp_path / "plot.gif")
    expected = (plot.height() * 2 // 2 * 2, plot.width() * 2 // 2 * 2)  # its size when recording began
    qtbot.wait(400)
    result = window.recording.stop()
    assert frames_of(result.path)[0].shape[:2] == expected


class FullDisk(io.FileIO):
    def write(self, data):
        if self.tell() > 30_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_a_full_disk_stops_recording_with_one_message_and_training_goes_on(qtbot, tmp_path, monkeypatch,
                                                                          open_window):
    monkeypatch.setattr(recording, "open_output", lambda path: FullDisk(path, "wb"))
    window = open_window()
    controller = window.controllers["byol"]
    controller.play()
    assert window.recording.start(tmp_path / "full.gif")
    qtbot.waitUntil(lambda: not window.recording.recorder.recording, timeout=20000)
    assert "disk is full" in window.recording.last_error
    assert "Training goes on" in window.recording.last_error
    assert not window.recording.marker.isVisible()
    step = controller.latest["step"]
    wait_snapshot(qtbot, controller, lambda s: s["step"] > step + 20)  # still training
    assert len(frames_of(tmp_path / "full.gif")) >= 1  # what fitted is kept, and opens


def test_an_unwritable_folder_is_refused_before_anything_starts(qtbot, window, tmp_path):
    assert not window.recording.start(tmp_path / "no-such-folder" / "clip.gif")
    assert "does not exist" in window.recording.last_error
    assert not window.recording.recorder.recording and not window.recording.marker.isVisible()


def test_switching_page_ends_the_recording(qtbot, window, tmp_path):
    window.recording.start(tmp_path / "clip.gif")
    window.show_page("dino")
    assert not window.recording.recorder.recording
    assert window.recording.last_result.frames >= 1
