"""The clip writers and the encoder thread: GIFs that decode to the frames given, keep Okabe-Ito
colours exact, loop, keep time; failed writes (a full disk, a bad path, no MP4 encoder) give one
message and keep what was written; memory stays flat over a long recording."""
import errno
import io
import os
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtGui

from desktop import recording
from desktop.recording import CORE_COLOURS, FrameEncoder, GifWriter, RecordingError, open_clip
from robustness_helpers import rss_kib
from widgets.theme import DARK, LIGHT, OKABE_ITO

SIZE = (160, 90)


def frames(count, size=SIZE):
    """Moving bars in Okabe-Ito colours on white, and a grey gradient (like text and axes)."""
    width, height = size
    out = []
    for index in range(count):
        frame = np.full((height, width, 3), 255, np.uint8)
        frame[:, :, :] = np.linspace(120, 255, width, dtype=np.uint8)[None, :, None]
        frame[10:30, (3 * index) % (width - 20):(3 * index) % (width - 20) + 20] = (0, 114, 178)
        frame[50:55, :] = (213, 94, 0)
        frame[60 + index % 20, 5:40] = (0, 158, 115)
        out.append(frame)
    return out


def decoded(path):
    """Every frame of a GIF as RGB arrays, and each frame's duration in ms."""
    image = Image.open(path)
    pictures, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        pictures.append(np.asarray(image.convert("RGB")))
        durations.append(image.info["duration"])
    return image, pictures, durations


def write_gif(path, clip, fps=15, slots=None):
    writer = open_clip(path, SIZE, fps)
    for index, frame in enumerate(clip):
        writer.add(frame, 1 if slots is None else slots[index])
    writer.close()
    return writer


def test_gif_decodes_to_the_frames_it_was_given_and_loops(tmp_path):
    clip = frames(12)
    write_gif(tmp_path / "clip.gif", clip)
    image, pictures, durations = decoded(tmp_path / "clip.gif")
    assert image.info["loop"] == 0  # loops for ever
    assert len(pictures) == 12
    for given, got in zip(clip, pictures):
        coloured = (given != given[:, :, :1]).any(axis=2)  # the Okabe-Ito bars: exact
        assert np.array_equal(given[coloured], got[coloured])
        assert np.abs(given.astype(int) - got).max() <= 8  # greys: within half a palette step


def test_every_theme_colour_is_in_the_palette_exactly():
    for colour in list(OKABE_ITO.values()) + [LIGHT.background, DARK.background, LIGHT.foreground,
                                               DARK.foreground, LIGHT.panel, DARK.panel]:
        assert recording._hex_rgb(colour) in CORE_COLOURS
    assert len(CORE_COLOURS) < 255  # room left for the first frame's own colours


def test_frame_durations_keep_the_frame_rate(tmp_path):
    clip = frames(30)
    write_gif(tmp_path / "clip.gif", clip, fps=15, slots=[1] * 29 + [3])
    _, _, durations = decoded(tmp_path / "clip.gif")
    assert sum(durations[:15]) == 1000  # 15 frames at 15 fps: one second, not 15 x 70 ms
    assert durations[-1] == 200  # three slots


def test_unchanged_frames_cost_almost_nothing(tmp_path):
    still = frames(1) * 50
    write_gif(tmp_path / "still.gif", still)
    one = tmp_path / "one.gif"
    write_gif(one, still[:1])
    assert (tmp_path / "still.gif").stat().st_size - one.stat().st_size < 50 * 40


def test_a_bad_path_is_refused_in_words(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        open_clip(tmp_path / "missing" / "clip.gif", SIZE, 15)
    with pytest.raises(RecordingError, match=r"\.gif or \.mp4"):
        open_clip(tmp_path / "clip.avi", SIZE, 15)
    (tmp_path / "folder.gif").mkdir()
    with pytest.raises(RecordingError, match="could not write"):
        open_clip(tmp_path / "folder.gif", SIZE, 15)


class FullDisk(io.FileIO):
    """A file on a disk that fills up after ``room`` bytes: writes take what fits, then ENOSPC."""

    room = 20_000

    def write(self, data):
        space = self.room - self.tell()
        if space <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(bytes(data)[:space])

    def truncate(self, size=None):
        return super().truncate(size)


def test_a_full_disk_stops_with_one_message_and_keeps_the_frames_before(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "open_output", lambda path: FullDisk(path, "wb"))
    path = tmp_path / "clip.gif"
    encoder = FrameEncoder(open_clip(path, SIZE, 15))
    clip = frames(200)
    for index, frame in enumerate(clip):
        image = QtGui.QImage(frame.tobytes(), SIZE[0], SIZE[1], 3 * SIZE[0], QtGui.QImage.Format_RGB888).copy()
        encoder.submit(image, index, wait=True)
    encoder.finish(len(clip))
    assert "disk is full" in encoder.error
    assert encoder.kept
    _, pictures, _ = decoded(path)  # what fitted is a valid GIF
    assert 0 < len(pictures) < 200
    assert np.array_equal(pictures[3][10:30, 9:29], clip[3][10:30, 9:29])


def test_a_failed_write_is_said_once_and_later_frames_are_refused(tmp_path, monkeypatch):
    class Broken(FullDisk):
        room = 0

    monkeypatch.setattr(recording, "open_output", lambda path: Broken(path, "wb"))
    encoder = FrameEncoder(open_clip(tmp_path / "clip.gif", SIZE, 15))
    image = QtGui.QImage(SIZE[0], SIZE[1], QtGui.QImage.Format_RGB32)
    image.fill(0xFFFFFF)
    encoder.submit(image, 0, wait=True)
    encoder.submit(image, 1, wait=True)  # writes frame 0: fails
    encoder.finish(2)
    assert encoder.error.startswith("the disk is full")
    assert not encoder.submit(image, 2)


def test_mp4_without_its_encoder_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    with pytest.raises(RecordingError, match=r"distill-lab\[video\]"):
        open_clip(tmp_path / "clip.mp4", SIZE, 15)
    assert not (tmp_path / "clip.mp4").exists()


def test_mp4_holds_each_frame_for_its_slots(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    writer = open_clip(tmp_path / "clip.mp4", SIZE, 15)
    for frame in frames(5):
        writer.add(frame, 2)
    writer.close()
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "clip.mp4"))
    meta = next(reader)
    assert tuple(meta["size"]) == SIZE
    assert sum(1 for _ in reader) == 10


@pytest.mark.soak  # over ~5 s: streams 1500 frames
def test_memory_stays_flat_over_a_long_recording(tmp_path):
    """1500 frames (100 s at 15 fps) of a 640x360 clip through the encoder thread: RSS after the
    first 300 frames and at the end differ by less than the size of ten frames. Ten minutes:
    DISTILL_LAB_RECORDING_FRAMES=9000 python -m pytest tests/runtime/test_recording.py -k memory"""
    count = int(os.environ.get("DISTILL_LAB_RECORDING_FRAMES", "1500"))
    size = (640, 360)
    encoder = FrameEncoder(open_clip(tmp_path / "long.gif", size, 15))
    base = frames(20, size)
    images = [QtGui.QImage(f.tobytes(), size[0], size[1], 3 * size[0], QtGui.QImage.Format_RGB888).copy()
              for f in base]
    for index in range(count):
        encoder.submit(images[index % 20], index, wait=True)
        if index == count // 5:
            warm = rss_kib()
    encoder.finish(count)
    assert not encoder.error
    grown_kib = rss_kib() - warm
    assert grown_kib < 10 * size[0] * size[1] * 3 / 1024, grown_kib
    assert encoder.writer.frames == count
