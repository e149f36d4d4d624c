"""Recording a page (or one plot) as an animated GIF or MP4 for slides.

Frames are the widget's own renders at the recording size (not screen grabs), so recording works
on any platform and offscreen. Each frame is handed to an encoder thread through a small bounded
queue and written to disk at once: memory stays flat however long the recording runs.

GIF: Pillow maps every frame onto one fixed palette (the Okabe-Ito and theme colours, their blends
with the backgrounds, greys, and the first frame's other colours), without dithering, so lines and
text stay crisp and colours do not flicker between frames; only the part of a frame that changed
is stored. MP4: imageio-ffmpeg's ffmpeg (the optional `video` extra).
"""
from __future__ import annotations

import errno
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.theme import CLASS_COLOURS, OKABE_ITO, THEMES

FORMATS = (".gif", ".mp4")
DEFAULT_FPS = 15
FPS_RANGE = (1, 30)
SCALES = (1.0, 2.0)
TRANSPARENT = 255  # GIF palette index of "unchanged since the last frame"
QUEUE_FRAMES = 4  # frames waiting for the encoder; at 2x 1280x720 that is ~15 MB at most
VIDEO_EXTRA_HINT = "pip install 'distill-lab[video]' (it adds imageio-ffmpeg)"


class RecordingError(Exception):
    """A recording that cannot start or could not be written; the message says why, in words."""


@dataclass
class RecordingResult:
    """What a finished (or failed) recording left on disk."""

    path: Path
    frames: int
    seconds: float  # length of the clip
    bytes: int
    dropped_frames: int = 0
    error: str = ""  # empty when the recording ended normally


# -- frames ------------------------------------------------------------------------------------
def frame_size(widget: QtWidgets.QWidget, scale: float) -> QtCore.QSize:
    """The pixel size of ``widget`` recorded at ``scale`` (even, as video encoders need)."""
    width = max(2, int(round(widget.width() * scale)) // 2 * 2)
    height = max(2, int(round(widget.height() * scale)) // 2 * 2)
    return QtCore.QSize(width, height)


def render_frame(widget: QtWidgets.QWidget, size: QtCore.QSize) -> QtGui.QImage:
    """The widget painted into an image of ``size`` pixels: scaled to fit (it may have been resized
    since the recording started), centred, on the widget's own background colour."""
    image = QtGui.QImage(size, QtGui.QImage.Format_RGB32)
    image.fill(widget.palette().color(QtGui.QPalette.Window))
    ratio = min(size.width() / max(1, widget.width()), size.height() / max(1, widget.height()))
    image.setDevicePixelRatio(ratio)
    offset = QtCore.QPoint(int((size.width() / ratio - widget.width()) / 2),
                           int((size.height() / ratio - widget.height()) / 2))
    QtWidgets.QWidget.render(widget, image, offset)  # a plot's QGraphicsView.render means a scene
    return image


def image_to_rgb(image: QtGui.QImage) -> np.ndarray:
    """A copy of a QImage's pixels as an (H, W, 3) uint8 array."""
    rgb = image.convertToFormat(QtGui.QImage.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return rows[:, : width * 3].reshape(height, width, 3).copy()


def recordable_parts(panel: QtWidgets.QWidget) -> list[tuple[str, QtWidgets.QWidget]]:
    """What can be recorded on a page, as (label, widget): the whole page, its mechanism diagram if
    it has one, then each plot (the plots it exports); a panel may offer others through its own
    ``recordable_parts()``."""
    own = getattr(panel, "recordable_parts", None)
    if callable(own):
        return [("Whole page", panel)] + list(own())
    parts = [("Whole page", panel)]
    if getattr(panel, "diagram", None) is not None:
        parts.append(("Mechanism diagram", panel.diagram))
    for index, plot in enumerate(getattr(panel, "plots", [])):
        title = getattr(plot, "title", "") or f"Plot {index + 1}"
        parts.append((title, plot))
    return parts


# -- the GIF palette -----------------------------------------------------------------------------
def _hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _core_colours() -> list[tuple[int, int, int]]:
    """Colours a page draws with: the Okabe-Ito and theme colours, each blended with the two
    backgrounds (anti-aliased edges, translucent fills), and a ramp of greys (text, axes)."""
    named = set(OKABE_ITO.values()) | set(CLASS_COLOURS)
    for theme in THEMES.values():
        named |= {value for value in vars(theme).values() if isinstance(value, str) and value.startswith("#")}
    solid = sorted({_hex_rgb(colour) for colour in named})
    backgrounds = [_hex_rgb(theme.background) for theme in THEMES.values()]
    colours = list(solid)
    for colour in solid:
        for background in backgrounds:
            for alpha in (0.2, 0.4, 0.6, 0.8):
                colours.append(tuple(int(round(alpha * c + (1 - alpha) * b)) for c, b in zip(colour, background)))
    colours += [(grey, grey, grey) for grey in np.linspace(0, 255, 32).round().astype(int).tolist()]
    unique: list[tuple[int, int, int]] = []
    for colour in colours:
        if colour not in unique:
            unique.append(colour)
    return unique


CORE_COLOURS = _core_colours()


def slide_palette(first_frame: np.ndarray) -> list[int]:
    """256 colours (flat RGB list): the core colours, then the first frame's most common others
    (photos on the multi-crop page, say), found by Pillow's median cut."""
    colours = list(CORE_COLOURS[:256])
    spare = 256 - len(colours)
    if spare > 0:
        sample = Image.fromarray(first_frame, "RGB")
        adaptive = sample.quantize(colors=spare, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        flat = adaptive.getpalette()[: 3 * spare]
        for index in range(0, len(flat), 3):
            colour = tuple(flat[index:index + 3])
            if colour not in colours:
                colours.append(colour)
    colours += [(0, 0, 0)] * (256 - len(colours))
    return [channel for colour in colours for channel in colour]


# -- clip writers --------------------------------------------------------------------------------
class ClipWriter:
    """Writes frames to one clip file as they come. ``add(frame, slots)`` shows ``frame`` (an
    (H, W, 3) uint8 array of the clip's size) for ``slots`` frame intervals."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        self.path, self.size, self.fps = Path(path), size, fps
        self.frames = 0
        self.slots = 0

    def add(self, frame: np.ndarray, slots: int = 1) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> bool:
        """After a failed write: close, keeping what was written when possible; True if kept."""
        raise NotImplementedError


def open_output(path: Path):
    """The clip's file, unbuffered: a frame is on disk (or refused) when its write returns, so a
    failed write leaves the frames before it intact."""
    return open(path, "wb", buffering=0)


class GifWriter(ClipWriter):
    """An animated GIF (looping for ever) streamed to disk: one global palette (``slide_palette``),
    each frame after the first stored as the rectangle that changed, LZW-encoded by Pillow."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        super().__init__(path, size, fps)
        self._file = open_output(path)
        self._palette_image: Image.Image | None = None
        self._previous: np.ndarray | None = None
        self._good_end = 0  # file offset after the last complete frame
        self._written = 0

    def _start(self, first_frame: np.ndarray) -> None:
        palette = slide_palette(first_frame)
        palette[3 * TRANSPARENT:] = palette[:3]  # the see-through index: never a colour of its own
        self._palette_image = Image.new("P", (1, 1))
        self._palette_image.putpalette(palette)
        width, height = self.size
        header = (b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little")
                  + bytes([0xF7, 0, 0])  # global colour table of 256 entries; background 0
                  + bytes(palette)
                  + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop for ever
        self._write(header)

    def add(self, frame: np.ndarray, slots: int = 1) -> None:
        if self._palette_image is None:
            self._start(frame)
        pixels = Image.fromarray(frame, "RGB").quantize(palette=self._palette_image, dither=Image.Dither.NONE)
        indices = np.array(pixels)
        indices[indices == TRANSPARENT] = 0  # the same colour (see _start)
        left, top, right, bottom = self._changed_box(indices)
        part = indices[top:bottom, left:right].copy()
        if self._previous is not None:
            # Pixels that did not change show the frame below: long runs of one index, which LZW
            # packs into almost nothing (the plots change in many small places every frame).
            part[part == self._previous[top:bottom, left:right]] = TRANSPARENT
        # Delays are whole hundredths of a second: round the running total, so 15 fps stays 15 fps.
        delay_cs = round((self.slots + slots) * 100 / self.fps) - round(self.slots * 100 / self.fps)
        options = {"duration": 10 * max(delay_cs, 1), "disposal": 1}
        if self._previous is not None:
            options["transparency"] = TRANSPARENT
        chunks = GifImagePlugin.getdata(Image.fromarray(part, "P"), offset=(left, top), **options)
        self._write(b"".join(chunks))
        self._previous = indices
        self.frames += 1
        self.slots += slots

    def _changed_box(self, indices: np.ndarray) -> tuple[int, int, int, int]:
        if self._previous is None:
            return 0, 0, indices.shape[1], indices.shape[0]
        changed = indices != self._previous
        rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:
            return 0, 0, 1, 1  # nothing changed: a one-pixel frame still holds the time
        return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a raw file may take part of it (a nearly full disk): write the rest
            view = view[self._file.write(view):]
        self._written += len(data)
        self._good_end = self._written

    def close(self) -> None:
        try:
            if self._palette_image is not None:
                self._file.write(b";")
                self._file.flush()
        finally:
            self._file.close()

    def abort(self) -> bool:
        kept = False
        try:
            # A frame cut short by the failed write goes; the frames before it stay a valid GIF.
            self._file.seek(self._good_end)
            self._file.truncate()
            if self._palette_image is not None:
                self._file.write(b";")
                self._file.flush()
                kept = self.frames > 0
        except (OSError, ValueError):
            kept = False
        finally:
            try:
                self._file.close()
            except OSError:
                pass
        return kept


class Mp4Writer(ClipWriter):
    """An H.264 MP4 through imageio-ffmpeg's own ffmpeg binary (the optional `video` extra)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        super().__init__(path, size, fps)
        ffmpeg = _ffmpeg_module()
        open(path, "wb").close()  # an unwritable path fails here, in words, not inside ffmpeg
        self._frames = ffmpeg.write_frames(
            str(path), size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            macro_block_size=2, ffmpeg_log_level="error", output_params=["-movflags", "+faststart"])
        self._frames.send(None)

    def add(self, frame: np.ndarray, slots: int = 1) -> None:
        data = np.ascontiguousarray(frame).tobytes()
        for _ in range(slots):  # a constant frame rate: a frame held longer is repeated
            self._frames.send(data)
        self.frames += 1
        self.slots += slots

    def close(self) -> None:
        self._frames.close()

    def abort(self) -> bool:
        try:
            self._frames.close()
        except Exception:  # noqa: BLE001  (ffmpeg already failed; its file may still play)
            return False
        return self.frames > 0


def _ffmpeg_module():
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise RecordingError(f"MP4 needs the ffmpeg encoder, which is not installed: {VIDEO_EXTRA_HINT}. "
                             "GIF recording needs nothing more.") from None
    return imageio_ffmpeg


def mp4_available() -> bool:
    """Whether MP4 recording can work here."""
    try:
        _ffmpeg_module()
    except RecordingError:
        return False
    return True


def check_output(path: str | Path) -> Path:
    """The output path, checked before anything is recorded: a known format, an existing folder."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise RecordingError(f"a recording is a .gif or .mp4 file, not {path.name!r}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RecordingError(f"folder {str(folder)!r} does not exist")
    if path.suffix.lower() == ".mp4":
        _ffmpeg_module()
    return path


def open_clip(path: str | Path, size: tuple[int, int], fps: float) -> ClipWriter:
    """A writer for ``path`` (.gif or .mp4); RecordingError in words when it cannot be written."""
    path = check_output(path)
    try:
        if path.suffix.lower() == ".mp4":
            return Mp4Writer(path, size, fps)
        return GifWriter(path, size, fps)
    except OSError as error:
        raise RecordingError(write_failure(path, error)) from None


def write_failure(path: Path, error: BaseException) -> str:
    """One sentence for a failed write."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: {path} could not be written further"
    if isinstance(error, PermissionError):
        return f"no permission to write {path}"
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"could not write {path}: {reason}"


# -- the encoder thread --------------------------------------------------------------------------
class FrameEncoder:
    """Encodes frames in a thread of its own as they come, so the GUI only paints them.

    ``submit(image, slot)`` hands over a QImage captured at frame slot ``slot`` (slots count frame
    intervals from the start). A frame is written once the next one arrives, held for the slots in
    between, so a late capture stretches the previous frame instead of speeding the clip up.
    """

    def __init__(self, writer: ClipWriter):
        self.writer = writer
        self.error = ""
        self.kept = True
        self.dropped = 0
        self.encode_cpu_seconds = 0.0  # the encoder thread's CPU time (what it would cost the GUI)
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._thread = threading.Thread(target=self._run, name="recording-encoder", daemon=True)
        self._thread.start()

    def submit(self, image: QtGui.QImage, slot: int, wait: bool = False) -> bool:
        """Queue a frame; without ``wait`` a full queue drops it (the encoder is behind). Returns
        whether it was queued."""
        if self.error:
            return False
        try:
            self._queue.put((image, slot), block=wait)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def finish(self, end_slot: int | None = None) -> None:
        """Write what is queued and close the file; the last frame lasts until ``end_slot``."""
        self._queue.put((None, end_slot))
        self._thread.join()

    def _run(self) -> None:
        pending: tuple[np.ndarray, int] | None = None
        while True:
            image, slot = self._queue.get()
            if self.error:
                if image is None:
                    return
                continue  # drain; the file is already closed
            try:
                if image is None:
                    if pending is not None:
                        last = pending[1] + 1 if slot is None else max(slot, pending[1] + 1)
                        self.writer.add(pending[0], last - pending[1])
                    self.writer.close()
                    return
                begin = time.thread_time()
                frame = image_to_rgb(image)
                if pending is not None:
                    self.writer.add(pending[0], max(1, slot - pending[1]))
                pending = (frame, slot)
                self.encode_cpu_seconds += time.thread_time() - begin
            except Exception as error:  # noqa: BLE001  (any failure: one message, training goes on)
                self.error = write_failure(self.writer.path, error)
                self.kept = self.writer.abort()
                if image is None:
                    return


# -- recording live --------------------------------------------------------------------------
class Recorder(QtCore.QObject):
    """Records a widget while the app runs: a timer captures it ``fps`` times a second and the
    encoder thread writes each frame. A failed write stops the recording with one message
    (``failed``); training is never touched."""

    failed = QtCore.Signal(str)
    finished = QtCore.Signal(object)  # RecordingResult
    tick = QtCore.Signal(float)  # seconds recorded so far, for the on-screen marker

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timer = QtCore.QTimer(self)
        self._timer.setTimerType(QtCore.Qt.PreciseTimer)
        self._timer.timeout.connect(self.capture)
        self._encoder: FrameEncoder | None = None
        self._widget: QtWidgets.QWidget | None = None
        self._size = QtCore.QSize()
        self._started = 0.0
        self._last_slot = -1
        self.fps = DEFAULT_FPS
        self.path: Path | None = None
        self.capture_seconds = 0.0  # GUI time spent painting frames (for the benchmark)
        self.capture_cpu_seconds = 0.0
        self.encode_cpu_seconds = 0.0

    @property
    def recording(self) -> bool:
        return self._encoder is not None

    def elapsed(self) -> float:
        return time.perf_counter() - self._started if self.recording else 0.0

    def start(self, widget: QtWidgets.QWidget, path: str | Path, fps: float = DEFAULT_FPS,
              scale: float = 1.0) -> None:
        """Start recording ``widget`` into ``path``; RecordingError (nothing started) if it cannot."""
        if self.recording:
            raise RecordingError("already recording")
        if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
            raise RecordingError(f"frame rate must be from {FPS_RANGE[0]} to {FPS_RANGE[1]} per second, not {fps:g}")
        self._size = frame_size(widget, scale)
        writer = open_clip(path, (self._size.width(), self._size.height()), fps)
        self.path, self.fps, self._widget = Path(path), fps, widget
        self._encoder = FrameEncoder(writer)
        self._started = time.perf_counter()
        self._last_slot = -1
        self.capture_seconds = self.capture_cpu_seconds = 0.0
        self.capture()
        self._timer.start(max(1, int(1000 / fps)))

    def capture(self) -> None:
        """Paint the widget into the next frame (called by the timer)."""
        encoder = self._encoder
        if encoder is None:
            return
        if encoder.error:
            self._end(encoder.error)
            return
        slot = int((time.perf_counter() - self._started) * self.fps)
        if slot > self._last_slot:
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            image = render_frame(self._widget, self._size)
            self.capture_seconds += time.perf_counter() - begin
            self.capture_cpu_seconds += time.thread_time() - begin_cpu
            if encoder.submit(image, slot):
                self._last_slot = slot
        self.tick.emit(self.elapsed())

    def stop(self) -> RecordingResult | None:
        """Stop and finish the file; the result says what was kept (None if not recording)."""
        if not self.recording:
            return None
        return self._end("")

    def _end(self, error: str) -> RecordingResult:
        self._timer.stop()
        encoder, self._encoder = self._encoder, None
        end_slot = max(self._last_slot + 1, int((time.perf_counter() - self._started) * self.fps))
        encoder.finish(end_slot)
        self.encode_cpu_seconds = encoder.encode_cpu_seconds
        error = error or encoder.error
        writer = encoder.writer
        size = self.path.stat().st_size if self.path.exists() else 0
        result = RecordingResult(self.path, writer.frames, writer.slots / self.fps, size,
                                 encoder.dropped, error)
        if error:
            kept = (f"; the first {result.seconds:.1f} s are kept in {self.path}"
                    if encoder.kept and writer.frames else "")
            self.failed.emit(f"Recording stopped: {error}{kept}. Training goes on.")
        self.finished.emit(result)
        return result


def describe(result: RecordingResult) -> str:
    """One line for the status bar."""
    size_mb = result.bytes / 1e6
    dropped = f", {result.dropped_frames} frames skipped (the machine was busy)" if result.dropped_frames else ""
    return f"Recorded {result.seconds:.1f} s ({result.frames} frames, {size_mb:.1f} MB) to {result.path}{dropped}"


def default_clip_name(page: str, folder: str | Path | None = None) -> Path:
    """A fresh file name for a recording of ``page``: distill-lab-byol-20260130-101500.gif."""
    folder = Path(folder) if folder else Path.home()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return folder / f"distill-lab-{page}-{stamp}.gif"
