"""`distill-lab crops`: the JSON contract, the table, and one-line errors with exit code 2.

The parser is built here as desktop/cli.py builds its own (one-line errors, subcommands), so these
tests do not depend on the command being wired into cli.py. The command decodes images with Qt's
reader (QtGui, no QApplication); tests/ui/test_image_reading.py checks it agrees with the page."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from desktop.cli import OneLineArgumentParser
from desktop.commands.crops import add_crops_parser, image_size_as_shown, run_crops
from engine.multicrop import MultiCropConfig, loss_pairs, relative_cost, sample_views
from engine.params import ParameterError
from resources.paths import bundled_images

ROOT = Path(__file__).resolve().parents[2]


def run(argv, capsys):
    """(exit code, stdout, stderr) of `distill-lab crops ARGV`."""
    parser = OneLineArgumentParser(prog="distill-lab")
    commands = parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser)
    add_crops_parser(commands)
    try:
        args = parser.parse_args(["crops", *argv])
        code = run_crops(args)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def run_json(argv, capsys):
    code, out, err = run([*argv, "--json"], capsys)
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def test_json_contract_with_dino_defaults(capsys):
    data = run_json([], capsys)
    assert data["image"] == {"name": "cat", "path": str(bundled_images()["cat"]), "width": 451, "height": 300,
                             "original_width": 451, "original_height": 300}
    views = data["views"]
    assert [view["kind"] for view in views] == ["global"] * 2 + ["local"] * 8
    assert [view["name"] for view in views] == ["G1", "G2"] + [f"L{i}" for i in range(1, 9)]
    for view in views:
        assert set(view) >= {"kind", "box", "size", "flipped"}
        x, y, w, h = view["box"]
        assert all(isinstance(v, int) for v in view["box"])
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= 451 and y + h <= 300
        assert view["size"] == (224 if view["kind"] == "global" else 96)
        assert isinstance(view["flipped"], bool)
    pairs = [tuple(pair) for pair in data["pairs"]]
    assert len(pairs) == data["num_loss_terms"] == 18
    assert all(views[teacher]["kind"] == "global" and teacher != student for teacher, student in pairs)
    assert data["relative_cost"] == pytest.approx(274432 / 200704)
    assert len(data["coverage"]) == 16 and all(0 <= entry["fraction"] <= 1 for entry in data["coverage"])


def test_json_matches_the_engine_for_the_same_seed(capsys):
    data = run_json(["--image", "rocket", "--locals", "5", "--global-scale", "0.5", "0.9",
                     "--local-scale", "0.1", "0.3", "--seed", "7"], capsys)
    config = MultiCropConfig(num_local=5, global_scale=(0.5, 0.9), local_scale=(0.1, 0.3))
    views = sample_views(640, 427, config, 7)
    assert (data["image"]["width"], data["image"]["height"]) == (640, 427)
    assert [(v["kind"], tuple(v["box"]), v["size"], v["flipped"]) for v in data["views"]] == [
        (view.kind, view.box, view.size, view.flipped) for view in views]
    assert [tuple(pair) for pair in data["pairs"]] == loss_pairs(views)
    assert data["relative_cost"] == pytest.approx(relative_cost(views))
    assert data["config"]["global_scale"] == [0.5, 0.9] and data["seed"] == 7


@pytest.mark.parametrize("num_local,terms", [(0, 2), (1, 4), (10, 22)])
def test_number_of_locals_sets_the_loss_terms(capsys, num_local, terms):
    data = run_json(["--locals", str(num_local)], capsys)
    assert len(data["views"]) == 2 + num_local
    assert data["num_loss_terms"] == len(data["pairs"]) == terms


def test_seed_reproduces_and_changes_the_views(capsys):
    first = run_json(["--seed", "3"], capsys)["views"]
    assert run_json(["--seed", "3"], capsys)["views"] == first
    assert run_json(["--seed", "4"], capsys)["views"] != first


def test_every_bundled_image_by_name(capsys):
    for name in bundled_images():
        data = run_json(["--image", name, "--locals", "2"], capsys)
        assert data["image"]["name"] == name and data["image"]["width"] > 0


def test_an_image_file_by_path(capsys, tmp_path):
    path = tmp_path / "tiny.png"
    path.write_bytes(_png(3, 2))
    data = run_json(["--image", str(path), "--locals", "10"], capsys)
    assert data["image"] == {"name": "tiny", "path": str(path), "width": 3, "height": 2,
                             "original_width": 3, "original_height": 2}
    assert all(v["box"][0] + v["box"][2] <= 3 and v["box"][1] + v["box"][3] <= 2 for v in data["views"])


def test_table_output(capsys):
    code, out, err = run(["--locals", "3"], capsys)
    assert code == 0 and err == ""
    assert "cat (451 x 300 px), seed 0" in out
    for name in ("G1", "G2", "L1", "L2", "L3"):
        assert f"\n{name} " in out
    assert "loss terms: 8" in out and "relative cost: 1.138x" in out
    assert "teacher G1 <- student G2 L1 L2 L3" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--global-scale", "0.6", "0.4"], "--global-scale minimum 0.6 is greater than its maximum 0.4"),
        (["--local-scale", "0.4", "0.05"], "--local-scale minimum 0.4 is greater than its maximum 0.05"),
        (["--local-scale", "0", "0.4"], "--local-scale values must be in (0, 1]"),
        (["--global-scale", "-0.2", "1"], "--global-scale values must be in (0, 1]"),
        (["--global-scale", "0.4", "1.2"], "--global-scale values must be in (0, 1]"),
        (["--local-scale", "nan", "0.4"], "--local-scale values must be in (0, 1]"),
        (["--global-scale", "a", "1"], "expected a number"),
        (["--global-scale", "0.5"], "expected 2 arguments"),
        (["--image", "no-such-photo"], "--image must be a bundled photo"),
        (["--locals", "11"], "--locals must be a whole number from 0 to 10, not 11"),
        (["--locals", "-1"], "--locals must be a whole number from 0 to 10, not -1"),
        (["--locals", "2.5"], "expected a whole number"),
        (["--locals", "many"], "expected a whole number"),
        (["--seed", "-3"], "--seed must be a whole number"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_code_2(capsys, argv, message):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("distill-lab: error: ") and err.endswith("\n") and err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_a_file_that_is_not_an_image_is_refused(capsys, tmp_path):
    garbage = tmp_path / "notes.png"
    garbage.write_bytes(b"not an image at all")
    code, _, err = run(["--image", str(garbage)], capsys)
    assert code == 2 and err.count("\n") == 1 and "notes.png" in err


def test_sizes_of_the_bundled_files():
    sizes = {name: image_size_as_shown(path)[0] for name, path in bundled_images().items()}
    assert sizes["cat"] == (451, 300) and sizes["rocket"] == (640, 427)
    assert sizes["astronaut"] == (512, 512) and sizes["coffee"] == (600, 400)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8", b"\xff\xd8\xff\xd9", b"GIF8", b"\x89PNG\r\n\x1a\n"])
def test_truncated_files_are_refused(tmp_path, data):
    path = tmp_path / "broken"
    path.write_bytes(data)
    with pytest.raises(ParameterError):
        image_size_as_shown(path)


def test_runs_headless_without_a_display_or_an_application():
    # The parser loads no Qt; running decodes with QtGui's image reader only: no widgets, no
    # QApplication, no platform plugin (no display, and not the offscreen one either).
    code = (
        "import sys\n"
        "from desktop.cli import OneLineArgumentParser\n"
        "from desktop.commands.crops import add_crops_parser, run_crops\n"
        "p = OneLineArgumentParser(prog='distill-lab')\n"
        "c = p.add_subparsers(dest='command', parser_class=OneLineArgumentParser)\n"
        "add_crops_parser(c)\n"
        "args = p.parse_args(['crops', '--json', '--locals', '2'])\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'the parser imported Qt'\n"
        "rc = run_crops(args)\n"
        "from PySide6 import QtCore\n"
        "assert 'PySide6.QtWidgets' not in sys.modules, 'widgets were imported'\n"
        "assert QtCore.QCoreApplication.instance() is None, 'an application was made'\n"
        "sys.exit(rc)\n"
    )
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["num_loss_terms"] == 6


def _png(width: int, height: int) -> bytes:
    """A whole grey RGB PNG, made without Qt."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + bytes((7 * x + y) % 256 for x in range(3 * width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _bundled_bytes(suffix: str) -> bytes:
    return next(path for path in bundled_images().values() if path.suffix.lower() in suffix).read_bytes()


@pytest.mark.parametrize("name, make, message", [
    ("half.png", lambda: _png(300, 200)[: len(_png(300, 200)) // 2],
     "'half.png' is damaged or incomplete"),
    ("half.jpg", lambda: _bundled_bytes((".jpg", ".jpeg"))[: len(_bundled_bytes((".jpg", ".jpeg"))) // 2],
     "'half.jpg' is damaged or incomplete"),
    ("half.bmp", lambda: b"BM" + struct.pack("<I", 54 + 300) + bytes(12) + struct.pack("<ii", 10, 10) + bytes(20),
     "'half.bmp' is damaged or incomplete"),
    ("notes.png", lambda: b"Lecture 7: self-distillation\n" * 30,
     "'notes.png' is not an image in a format this app reads"),
    ("empty.jpg", lambda: b"", "'empty.jpg' is empty (0 bytes)"),
])
def test_a_damaged_or_false_image_file_gets_one_line_naming_it(capsys, tmp_path, name, make, message):
    path = tmp_path / name
    path.write_bytes(make())
    code, out, err = run(["--image", str(path)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert message in err, err


def test_a_folder_and_a_missing_file_are_named_as_such(capsys, tmp_path):
    folder = tmp_path / "photos.png"
    folder.mkdir()
    code, _, err = run(["--image", str(folder)], capsys)
    assert code == 2 and f"--image '{folder}' is a folder, not an image file" in err
    code, _, err = run(["--image", str(tmp_path / "gone.jpg")], capsys)
    assert code == 2 and f"--image: there is no file '{tmp_path / 'gone.jpg'}'" in err and err.count("\n") == 1


def test_bytes_after_the_end_of_a_jpeg_are_no_damage(capsys, tmp_path):
    # A phone's "motion photo" is a whole JPEG followed by a video; it opens as the photo.
    path = tmp_path / "motion.jpg"
    path.write_bytes(_bundled_bytes((".jpg", ".jpeg")) + b"\0\0\0\x18ftypmp42" + bytes(5000))
    code, out, err = run(["--image", str(path), "--json"], capsys)
    assert code == 0 and err == "", err
    assert json.loads(out)["image"]["name"] == "motion"
