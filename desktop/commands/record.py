"""`distill-lab record OUT.gif|OUT.mp4`: train a page from a fresh start and write it as a clip.

The page is built offscreen and trained in this process, one frame every speed/fps steps, so the
same arguments give the same clip (byte for byte for GIF). `--at STEP NAME=VALUE` changes a
parameter mid-run (the stop-gradient switched off at step 600, say). Qt is imported only when the
command runs.
"""
from __future__ import annotations

import argparse
import os

from desktop.commands.options import bounded_number
from desktop.commands.output import fail
from desktop.commands.run import MAX_STEPS, STEPS_OPTION
from desktop.commands.screenshot import THEME_NAMES, ZOOM_RANGE, _parse_settings, _parse_size
from desktop.pages import all_pages_keys, page
from engine.params import ParameterError

# Kept here so the parser needs no Qt (tests/cli/test_recording_command.py checks it is recording's).
FPS_RANGE = (1, 30)
DEFAULT_SPEED = 100.0  # training steps a second of clip: BYOL's 1500 default steps in 15 s
AT_STEP = bounded_number("--at", int, 0, MAX_STEPS, subject="--at STEP")


def add_record_parser(commands) -> argparse.ArgumentParser:
    record = commands.add_parser("record", help="train a page offscreen and write it as an animated GIF or MP4")
    record.add_argument("output", help="clip to write: .gif, or .mp4 (needs the video extra)")
    record.add_argument("--page", default=None, choices=all_pages_keys(), metavar="PAGE",
                        help=f"which page: {', '.join(all_pages_keys())} (default byol, or the scenario's)")
    record.add_argument("--steps", type=STEPS_OPTION, default=None,
                        help="training steps the clip shows (default: the page's default)")
    record.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="set a parameter before training, e.g. --set stop_gradient=false")
    record.add_argument("--at", dest="changes", action="append", default=[], nargs=2,
                        metavar=("STEP", "NAME=VALUE"),
                        help="change a parameter at a training step, e.g. --at 600 stop_gradient=false")
    record.add_argument("--scenario", default=None, metavar="FILE", help="start from a scenario file")
    record.add_argument("--fps", type=bounded_number("--fps", int, *FPS_RANGE), default=15,
                        help=f"frames a second, {FPS_RANGE[0]} to {FPS_RANGE[1]} (default 15)")
    record.add_argument("--speed", type=bounded_number("--speed", float, 1, 100_000), default=DEFAULT_SPEED,
                        help=f"training steps a second of clip (default {DEFAULT_SPEED:g})")
    record.add_argument("--size", default="1280x720", help="page size WxH in points (default 1280x720)")
    record.add_argument("--scale", type=int, choices=(1, 2), default=1,
                        help="pixels a point: 2 for high-resolution projectors (default 1)")
    record.add_argument("--part", default="page",
                        help="what to record: page (default), or one plot named by a word of its title")
    record.add_argument("--zoom", type=bounded_number("--zoom", float, *ZOOM_RANGE), default=None, metavar="Z",
                        help=f"presenter zoom, {ZOOM_RANGE[0]:g} to {ZOOM_RANGE[1]:g} (default: the settings file's)")
    record.add_argument("--theme", choices=THEME_NAMES, default=None,
                        help="colour theme (default: the settings file's)")
    record.set_defaults(run=run_record)
    return record


def run_record(args: argparse.Namespace) -> int:
    """Check every argument before Qt loads, then train, draw and write the clip."""
    from desktop.scenarios import ScenarioError, load_scenario

    scenario = None
    if args.scenario:
        try:
            scenario = load_scenario(args.scenario)
        except ScenarioError as error:
            return fail(str(error))
    page_key = args.page or (scenario.page if scenario else "byol")
    if scenario is not None and scenario.page != page_key:
        return fail(f"the scenario is for the {scenario.page} page, not {page_key}")
    if page(page_key).simulation is None:
        return fail(f"the {page_key} page does not train, so there is nothing to record headless: "
                    "record it in the app (File > Start recording), or use distill-lab screenshot")
    try:
        size = _parse_size(args.size)
        settings = _parse_settings(page_key, args.settings)
        changes = []
        for step_text, setting in args.changes:
            (name, value), = _parse_settings(page_key, [setting]).items()
            changes.append((AT_STEP(step_text), name, value))
    except (ParameterError, argparse.ArgumentTypeError) as error:
        return fail(str(error))

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.clip_rendering import PartNotFound, record_page
    from desktop.recording import RecordingError, check_output

    try:
        output = check_output(args.output)
    except RecordingError as error:
        return fail(str(error))
    try:
        result = record_page(page_key, output, size=size, steps=args.steps, settings=settings,
                             changes=sorted(changes, key=lambda change: change[0]), scenario=scenario,
                             fps=args.fps, scale=args.scale, speed=args.speed, part=args.part,
                             theme=args.theme, zoom=args.zoom)
    except PartNotFound as error:
        return fail(str(error))
    except RecordingError as error:
        return fail(str(error), 1)
    if result.error:
        return fail(f"{result.error}; the clip stops after {result.frames} frames", 1)
    print(f"wrote {result.path} ({result.width}x{result.height}, {result.frames} frames, "
          f"{result.seconds:.1f} s at {args.fps} fps, {result.bytes / 1e6:.2f} MB; steps 0 to {result.last_step})")
    if args.part == "page" and (result.width, result.height) != (size[0] * args.scale, size[1] * args.scale):
        print(f"the page needs at least {result.width // args.scale}x{result.height // args.scale} "
              "points: recorded at that size")
    if result.diverged_at_step is not None:
        print(f"training diverged at step {result.diverged_at_step}; the clip shows it")
    return 0
