"""`distill-lab record`: the same arguments give the same GIF byte for byte; mid-run changes,
parts and bad arguments."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop import recording
from desktop.commands import main, record

SCENARIOS = Path(__file__).resolve().parents[2] / "resources" / "scenarios"
SMALL = ["--size", "800x450", "--speed", "150", "--theme", "light", "--zoom", "1"]


@pytest.mark.soak  # over ~5 s: records two clips
def test_the_same_arguments_give_the_same_gif_byte_for_byte(tmp_path, capsys):
    for name in ("a.gif", "b.gif"):
        assert main(["record", str(tmp_path / name), "--steps", "60", *SMALL]) == 0
    first, second = (tmp_path / "a.gif").read_bytes(), (tmp_path / "b.gif").read_bytes()
    assert first == second
    image = Image.open(tmp_path / "a.gif")
    assert image.n_frames == 7 and image.info["loop"] == 0  # steps 0, 10, ..., 60 at 15 fps
    assert "wrote" in capsys.readouterr().out


@pytest.mark.soak  # over ~5 s: records a clip
def test_a_change_mid_run_reaches_the_page(tmp_path):
    args = ["--steps", "40", "--fps", "5", *SMALL]
    assert main(["record", str(tmp_path / "plain.gif"), *args]) == 0
    assert main(["record", str(tmp_path / "switched.gif"), *args, "--at", "20", "stop_gradient=false"]) == 0
    plain, switched = Image.open(tmp_path / "plain.gif"), Image.open(tmp_path / "switched.gif")
    plain.seek(0), switched.seek(0)
    assert np.array_equal(np.asarray(plain.convert("RGB")), np.asarray(switched.convert("RGB")))
    plain.seek(plain.n_frames - 1), switched.seek(switched.n_frames - 1)
    assert not np.array_equal(np.asarray(plain.convert("RGB")), np.asarray(switched.convert("RGB")))


def test_a_parameter_without_a_control_is_set_too(tmp_path):
    args = ["--steps", "0", *SMALL]
    assert main(["record", str(tmp_path / "seed0.gif"), *args]) == 0
    assert main(["record", str(tmp_path / "seed7.gif"), *args, "--set", "seed=7"]) == 0
    assert (tmp_path / "seed0.gif").read_bytes() != (tmp_path / "seed7.gif").read_bytes()


def test_one_plot_alone(tmp_path):
    assert main(["record", str(tmp_path / "loss.gif"), "--steps", "20", "--part", "loss", *SMALL]) == 0
    width, height = Image.open(tmp_path / "loss.gif").size
    assert width < 400 and height < 300


def test_the_multicrop_page_records_its_training(tmp_path, capsys):
    assert main(["record", str(tmp_path / "crops.gif"), "--page", "multicrop", "--steps", "2", *SMALL]) == 0
    assert Image.open(tmp_path / "crops.gif").n_frames >= 2 and "steps 0 to 2" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["clip.avi"], ".gif or .mp4"),
    (["missing/clip.gif"], "does not exist"),
    (["clip.gif", "--scenario", str(SCENARIOS / "01-byol-healthy.json"), "--page", "dino"], "not dino"),
    (["clip.gif", "--part", "nothing"], "--part must name"),
    (["clip.gif", "--at", "x", "ema=false"], "--at"),
    (["clip.gif", "--at", "10", "nope=1"], "--set takes NAME=VALUE"),
    (["clip.gif", "--fps", "0"], "--fps"),
    (["clip.gif", "--scale", "3"], "--scale"),
])
def test_bad_arguments_get_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["record", *args, "--steps", "1", "--size", "800x450"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_mp4_without_its_encoder_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "imageio_ffmpeg", None)
    assert main(["record", str(tmp_path / "clip.mp4"), "--steps", "1"]) == 2
    assert "distill-lab[video]" in capsys.readouterr().err


def test_the_parser_knows_the_recorders_frame_rates():
    assert record.FPS_RANGE == recording.FPS_RANGE


def test_a_headless_clip_looks_like_the_page_in_the_app(qtbot, tmp_path, open_window):
    """Same size, theme and zoom: the clip's first frame (step 0) and the page in the window agree
    pixel for pixel almost everywhere (a missing style sheet changed every font and failed this)."""
    from widgets.theme import LIGHT

    assert main(["record", str(tmp_path / "clip.gif"), "--steps", "0", "--size", "1280x720",
                 "--theme", "light", "--zoom", "1"]) == 0
    window = open_window(size=None, theme=LIGHT, zoom=1.0)  # resized to the clip's page size below
    panel = window.panels["byol"]
    window.resize(window.width() + 1280 - panel.width(), window.height() + 720 - panel.height())
    qtbot.waitUntil(lambda: (panel.width(), panel.height()) == (1280, 720), timeout=5000)
    qtbot.wait(200)
    in_app = recording.image_to_rgb(recording.render_frame(panel, recording.frame_size(panel, 1.0)))
    clip = np.asarray(Image.open(tmp_path / "clip.gif").convert("RGB"))
    assert clip.shape == in_app.shape
    same = (np.abs(clip.astype(int) - in_app).max(axis=2) <= 8).mean()  # the GIF palette's rounding
    assert same > 0.97, same
