"""`distill-lab crops`: DINO's multi-crop views of a photograph, as a table or as JSON. Headless:
the image is decoded as the multi-crop page decodes it (widgets/image_decoding.py: Qt's image
reader, no QApplication, no display), so both sample the same boxes for the same seed.

    distill-lab crops [--image NAME] [--locals N] [--global-scale MIN MAX] [--local-scale MIN MAX]
                      [--seed S] [--json]

The views are those the multi-crop page shows for the same image, settings and seed.
Bad arguments get one line on stderr ("distill-lab: error: ...") and exit code 2.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from engine.multicrop import (
    NUM_LOCAL_SPEC,
    MultiCropConfig,
    coverage_matrix,
    loss_pairs,
    relative_cost,
    sample_views,
    view_names,
)
from desktop.commands.options import add_json_option, add_seed_option
from desktop.commands.output import fail, print_json
from engine.params import ParameterError
from resources.paths import bundled_images

DEFAULT_IMAGE = "cat"  # the page's default too


# ---- the image, read as the page reads it ---------------------------------------------------------


def image_size_as_shown(path: str | Path) -> tuple[tuple[int, int], tuple[int, int]]:
    """(width, height) the multi-crop page samples its crops in for this file (upright by its EXIF
    orientation, shrunk to the page's limit), and the upright size before shrinking.
    ParameterError (one line) if the page would refuse the file."""
    # Qt's decoders, not a display: QtGui only, imported here so the parser and --help load no Qt.
    from widgets.image_decoding import ImageLoadError, decode_as_shown

    try:
        shown = decode_as_shown(path)
    except ImageLoadError as error:
        raise ParameterError(str(error)) from None
    return shown.size, shown.original_size


# ---- arguments ---------------------------------------------------------------------------------------


def _scale_value(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], not {text!r}") from None


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None


def add_crops_parser(commands) -> argparse.ArgumentParser:
    """Add the `crops` command to ``commands`` (the subparsers of desktop.commands' parser)."""
    images = ", ".join(bundled_images()) or "none bundled"
    defaults = MultiCropConfig()
    crops = commands.add_parser(
        "crops",
        help="sample DINO's multi-crop views of a photo and print them (boxes, loss pairs, cost)",
        description="Sample DINO's multi-crop views of a photograph: 2 global crops and N local crops, "
                    "as the multi-crop page draws them for the same seed.",
    )
    crops.add_argument("--image", default=DEFAULT_IMAGE, metavar="NAME",
                       help=f"a bundled photo ({images}) or the path of a PNG or JPEG file "
                            f"(default {DEFAULT_IMAGE})")
    crops.add_argument("--locals", dest="num_local", type=_whole_number, default=defaults.num_local, metavar="N",
                       help=f"number of local crops, {NUM_LOCAL_SPEC.minimum:g} to {NUM_LOCAL_SPEC.maximum:g} "
                            f"(default {defaults.num_local})")
    crops.add_argument("--global-scale", nargs=2, type=_scale_value, default=list(defaults.global_scale),
                       metavar=("MIN", "MAX"),
                       help="range of a global crop's area as a fraction of the image, in (0, 1] "
                            f"(default {defaults.global_scale[0]:g} {defaults.global_scale[1]:g})")
    crops.add_argument("--local-scale", nargs=2, type=_scale_value, default=list(defaults.local_scale),
                       metavar=("MIN", "MAX"),
                       help="range of a local crop's area as a fraction of the image, in (0, 1] "
                            f"(default {defaults.local_scale[0]:g} {defaults.local_scale[1]:g})")
    add_seed_option(crops, "random seed: the same seed gives the same views")
    add_json_option(crops)
    crops.set_defaults(run=run_crops)
    return crops


def _resolve_image(name: str) -> tuple[str, Path]:
    bundled = bundled_images()
    if name in bundled:
        return name, bundled[name]
    path = Path(name)
    if path.is_dir():
        raise ParameterError(f"--image {name!r} is a folder, not an image file")
    if path.exists():  # a file, or a FIFO or device that the decoding names as such (never opened)
        return path.stem, path
    known = ", ".join(bundled) or "none bundled"
    if os.sep in name or path.suffix:  # meant as a file
        raise ParameterError(f"--image: there is no file {name!r} (nor a bundled photo: {known})")
    raise ParameterError(f"--image must be a bundled photo ({known}) or an image file, not {name!r}")


def _config(args: argparse.Namespace) -> MultiCropConfig:
    """The settings, validated once here; messages name the command-line options."""
    if not NUM_LOCAL_SPEC.minimum <= args.num_local <= NUM_LOCAL_SPEC.maximum:
        raise ParameterError(f"--locals must be a whole number from {NUM_LOCAL_SPEC.minimum:g} to "
                             f"{NUM_LOCAL_SPEC.maximum:g}, not {args.num_local}")
    config = MultiCropConfig(num_local=args.num_local, global_scale=tuple(args.global_scale),
                             local_scale=tuple(args.local_scale))
    try:
        return config.validate()
    except ParameterError as error:
        message = str(error).replace("global_scale", "--global-scale").replace("local_scale", "--local-scale")
        raise ParameterError(message) from None


def crops_summary(name: str, path: Path, size: tuple[int, int], config: MultiCropConfig, seed: int,
                  original_size: tuple[int, int] | None = None) -> dict:
    """Everything the command prints: the image, the views, DINO's loss pairs, the cost and the overlaps.
    ``size`` is the image as the page shows it; ``original_size`` the file's, when it was shrunk."""
    width, height = size
    original_width, original_height = original_size or size
    views = sample_views(width, height, config, seed)
    names = view_names(views)
    pairs = loss_pairs(views)
    coverage = coverage_matrix(views)
    global_indices = [i for i, view in enumerate(views) if view.is_global]
    local_indices = [i for i, view in enumerate(views) if not view.is_global]
    return {
        "image": {"name": name, "path": str(path), "width": width, "height": height,
                  "original_width": original_width, "original_height": original_height},
        "seed": seed,
        "config": {
            "num_global": config.num_global,
            "num_local": config.num_local,
            "global_scale": list(config.global_scale),
            "local_scale": list(config.local_scale),
            "global_size": config.global_size,
            "local_size": config.local_size,
            "ratio": list(config.ratio),
        },
        "views": [
            {"index": i, "name": names[i], "kind": view.kind, "box": list(view.box), "size": view.size,
             "flipped": view.flipped}
            for i, view in enumerate(views)
        ],
        "pairs": [[teacher, student] for teacher, student in pairs],
        "num_loss_terms": len(pairs),
        "relative_cost": relative_cost(views),
        "coverage": [
            {"local": local, "global": glob, "fraction": float(coverage[row, column])}
            for row, local in enumerate(local_indices)
            for column, glob in enumerate(global_indices)
        ],
    }


def _print_views(summary: dict) -> None:
    image, config = summary["image"], summary["config"]
    views = summary["views"]
    names = [view["name"] for view in views]
    shrunk = (image["original_width"], image["original_height"]) != (image["width"], image["height"])
    size = f"{image['width']} x {image['height']} px" + (
        f", shrunk from {image['original_width']} x {image['original_height']} as the page does" if shrunk else "")
    print(f"{image['name']} ({size}), seed {summary['seed']}: "
          f"{config['num_global']} global crops (scale {config['global_scale'][0]:g}-{config['global_scale'][1]:g}, "
          f"{config['global_size']} px) and {config['num_local']} local crops "
          f"(scale {config['local_scale'][0]:g}-{config['local_scale'][1]:g}, {config['local_size']} px)")
    print()
    print(f"{'view':<5} {'kind':<7} {'x':>5} {'y':>5} {'w':>5} {'h':>5} {'area':>6} {'size':>5}  flipped")
    area = image["width"] * image["height"]
    for view in views:
        x, y, w, h = view["box"]
        print(f"{view['name']:<5} {view['kind']:<7} {x:>5} {y:>5} {w:>5} {h:>5} {w * h / area:>6.1%} "
              f"{view['size']:>5}  {'yes' if view['flipped'] else 'no'}")
    print()
    teachers = sorted({teacher for teacher, _ in summary["pairs"]})
    print(f"loss terms: {summary['num_loss_terms']} (the teacher sees {', '.join(names[t] for t in teachers)}; "
          f"the student sees all {len(views)} views; same-view pairs skipped)")
    for teacher in teachers:
        students = [names[s] for t, s in summary["pairs"] if t == teacher]
        print(f"  teacher {names[teacher]} <- student {' '.join(students)}")
    print(f"relative cost: {summary['relative_cost']:.3f}x the pixels of two global views "
          f"(student: all views; teacher: the globals)")
    if summary["coverage"]:
        print()
        print("share of each local crop inside each global crop:")
        for local in sorted({entry["local"] for entry in summary["coverage"]}):
            shares = "  ".join(f"in {names[entry['global']]} {entry['fraction']:>4.0%}"
                               for entry in summary["coverage"] if entry["local"] == local)
            print(f"  {names[local]:<4} {shares}")


def run_crops(args: argparse.Namespace) -> int:
    """Sample the views and print them; 2 with a one-line message on stderr for bad arguments."""
    try:
        config = _config(args)
        name, path = _resolve_image(args.image)
        size, original_size = image_size_as_shown(path)
        summary = crops_summary(name, path, size, config, args.seed, original_size)
    except ParameterError as error:
        return fail(str(error))
    if args.json:
        print_json(summary)
    else:
        _print_views(summary)
    return 0
