"""Images read one way: `distill-lab crops --image FILE` and the multi-crop page's photo loader
(widgets/image_loading.load_image, which the page's training set reads through) decode a file with the
same function (widgets/image_decoding.decode_as_shown), so the sampler gives the same boxes for the
same seed, on phone photos turned by their EXIF orientation and on photos larger than the page's limit.

The files are made with Pillow, which writes the EXIF orientation tag; Qt reads them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from desktop.cli import OneLineArgumentParser
from desktop.commands.crops import add_crops_parser, run_crops
from engine.multicrop import MultiCropConfig, sample_views
from widgets.image_decoding import MAX_IMAGE_SIDE, decode_as_shown
from widgets.image_loading import load_image

ROOT = Path(__file__).resolve().parents[2]
EXIF_ORIENTATION = 0x0112
# An upright picture in four colours, one a quadrant, so a turn shows as colours in the wrong corners.
QUADRANTS = {"top left": (230, 159, 0), "top right": (0, 114, 178), "bottom left": (0, 158, 115),
             "bottom right": (204, 121, 167)}
# What a viewer does to the stored pixels for each EXIF orientation: stored = upright undone.
STORED_FROM_UPRIGHT = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
                       8: Image.Transpose.ROTATE_270}
SEEDS = (0, 1, 7, 2024)


def upright_picture(width: int, height: int) -> Image.Image:
    pixels = np.empty((height, width, 3), np.uint8)
    top, left = slice(0, height // 2), slice(0, width // 2)
    bottom, right = slice(height // 2, height), slice(width // 2, width)
    pixels[top, left], pixels[top, right] = QUADRANTS["top left"], QUADRANTS["top right"]
    pixels[bottom, left], pixels[bottom, right] = QUADRANTS["bottom left"], QUADRANTS["bottom right"]
    return Image.fromarray(pixels)


def write_photo(path: Path, width: int, height: int, orientation: int = 1) -> Path:
    """A photo that shows ``width`` x ``height`` upright, stored turned with its EXIF ``orientation``."""
    upright = upright_picture(width, height)
    turn = STORED_FROM_UPRIGHT[orientation]
    stored = upright.transpose(turn) if turn is not None else upright
    if path.suffix == ".jpg":
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        stored.save(path, quality=92, exif=exif.tobytes())
        # Pillow, read independently, agrees that the file shows the upright picture.
        with Image.open(path) as written:
            assert ImageOps.exif_transpose(written).size == (width, height)
    else:
        stored.save(path)
    return path


def command_boxes(path: Path, seed: int, capsys) -> tuple[tuple[int, int], list[tuple]]:
    parser = OneLineArgumentParser(prog="distill-lab")
    add_crops_parser(parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser))
    assert run_crops(parser.parse_args(["crops", "--image", str(path), "--seed", str(seed), "--json"])) == 0
    data = json.loads(capsys.readouterr().out)
    return (data["image"]["width"], data["image"]["height"]), [tuple(view["box"]) for view in data["views"]]


def page_boxes(path: Path, seed: int) -> tuple[tuple[int, int], list[tuple]]:
    """The image size the page's loader gives, and the boxes the sampler draws on it for ``seed``."""
    image = load_image(path)
    return (image.width, image.height), [view.box for view in sample_views(image.width, image.height,
                                                                             MultiCropConfig(), seed)]


CASES = [
    # (file, size stored upright, EXIF orientation, size the page uses)
    ("phone.jpg", (800, 600), 6, (800, 600)),
    ("phone.jpg", (600, 800), 8, (600, 800)),
    ("phone.jpg", (800, 600), 3, (800, 600)),
    ("large.png", (2000, 1500), 1, (1024, 768)),  # the example
    ("large.jpg", (1500, 2000), 6, (768, 1024)),
    ("large.jpg", (3001, 1003), 8, (1024, 342)),  # Qt's rounding of the shrink, both ways the same
    ("edge.png", (MAX_IMAGE_SIDE, 700), 1, (MAX_IMAGE_SIDE, 700)),  # at the limit: not shrunk
]


@pytest.mark.parametrize("name, upright, orientation, shown", CASES)
def test_command_and_page_sample_the_same_boxes(qapp, capsys, tmp_path, name, upright, orientation, shown):
    path = write_photo(tmp_path / name, *upright, orientation)
    assert load_image(path).original_size == upright
    for seed in SEEDS:
        page_size, page_view_boxes = page_boxes(path, seed)
        size, boxes = command_boxes(path, seed, capsys)
        assert size == page_size == shown
        assert boxes == page_view_boxes, f"seed {seed}"


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_the_picture_is_turned_upright(tmp_path, orientation):
    shown = decode_as_shown(write_photo(tmp_path / "phone.jpg", 1600, 1200, orientation))
    assert shown.size == (1024, 768) and shown.original_size == (1600, 1200)
    image = shown.image
    corners = {"top left": (256, 192), "top right": (768, 192), "bottom left": (256, 576),
               "bottom right": (768, 576)}
    for corner, (x, y) in corners.items():
        colour = image.pixelColor(x, y)
        assert np.allclose((colour.red(), colour.green(), colour.blue()), QUADRANTS[corner], atol=12), corner


def test_the_headless_command_gives_the_pages_boxes(qapp, tmp_path):
    # In its own process, with no display and no QApplication, as a lecturer runs it.
    path = write_photo(tmp_path / "large.jpg", 1500, 2000, 6)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "desktop", "crops", "--image", str(path), "--seed", "0",
                             "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    views = json.loads(result.stdout)["views"]
    assert [tuple(view["box"]) for view in views] == page_boxes(path, 0)[1]
