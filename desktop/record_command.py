"""`distill-lab record`: train a page from a fresh start and write it as an animated GIF or MP4.

    distill-lab record OUT.gif|OUT.mp4 [--page PAGE] [--steps N] [--set NAME=VALUE ...]
                       [--at STEP NAME=VALUE ...] [--scenario FILE] [--fps F] [--size WxH]
                       [--scale 1|2] [--speed STEPS_PER_SECOND] [--part NAME]

The page is built offscreen and trained in this process, step by step, one frame every
speed/fps steps: the same arguments give the same clip (byte for byte for GIF). Bad arguments get
one line on stderr and exit code 2; a clip that cannot be written, exit code 1.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

from desktop.arguments import bounded_number

DEFAULT_SPEED = 100.0  # training steps a second of clip: BYOL's 1500 default steps in 15 s


def add_record_parser(commands, steps_option, parse_size) -> None:
    """The `record` sub-command, on the `distill-lab` sub-command parser."""
    record = commands.add_parser("record", help="train a page offscreen and write it as a GIF or MP4 clip")
    record.add_argument("output", help="clip to write: .gif, or .mp4 (needs the video extra)")
    record.add_argument("--page", default=None, help="which training page (default byol, or the scenario's)")
    record.add_argument("--steps", type=steps_option, default=None,
                        help="training steps in the clip (default: the page's default)")
    record.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="set a parameter before training, e.g. --set stop_gradient=false")
    record.add_argument("--at", dest="changes", action="append", default=[], nargs=2,
                        metavar=("STEP", "NAME=VALUE"),
                        help="change a parameter at a training step, e.g. --at 600 stop_gradient=false")
    record.add_argument("--scenario", default=None, metavar="FILE", help="start from a scenario file")
    record.add_argument("--fps", type=bounded_number("--fps", int, 1, 1000), default=15,
                        help="frames a second (1 to 30; default 15)")
    record.add_argument("--size", default="1280x720", help="page size WxH before scaling (default 1280x720)")
    record.add_argument("--scale", type=bounded_number("--scale", float, 1, 2), default=1.0,
                        help="pixels per point: 2 for high-resolution projectors (default 1)")
    record.add_argument("--speed", type=bounded_number("--speed", float, 1, 100000), default=DEFAULT_SPEED,
                        help=f"training steps a second of clip (default {DEFAULT_SPEED:g})")
    record.add_argument("--part", default="page",
                        help="what to record: page (default) or one plot, named by a word of its title")
    record.set_defaults(parse_size=parse_size)


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"distill-lab: error: {message}\n")
    return code


def run_record(args: argparse.Namespace, parse_settings) -> int:
    """Check the arguments (before Qt loads), then train and record."""
    from desktop.pages import all_pages, all_pages_keys
    from desktop.recording import FPS_RANGE, RecordingError, check_output
    from desktop.scenarios import ScenarioError, load_scenario
    from engine.params import ParameterError

    scenario = None
    if args.scenario:
        try:
            scenario = load_scenario(args.scenario)
        except ScenarioError as error:
            return _fail(str(error))
    page = args.page or (scenario.page if scenario else "byol")
    if scenario is not None and scenario.page != page:
        return _fail(f"the scenario is for the {scenario.page} page, not {page}")
    if page not in all_pages_keys():
        return _fail(f"--page must be one of {', '.join(all_pages_keys())}, not {page!r}")
    if next(p for p in all_pages() if p.key == page).simulation_class is None:
        return _fail(f"the {page} page does not train, so there is nothing to record headless; "
                     "record it in the app (Ctrl+R) or use distill-lab screenshot")
    if not FPS_RANGE[0] <= args.fps <= FPS_RANGE[1]:
        return _fail(f"--fps must be from {FPS_RANGE[0]} to {FPS_RANGE[1]}, not {args.fps}")
    try:
        size = args.parse_size(args.size)
        settings = parse_settings(page, args.settings)
        changes = []
        for step_text, setting in args.changes:
            step = bounded_number("--at", int, 0, 1_000_000, subject="--at STEP")(step_text)
            changes.append((step, *next(iter(parse_settings(page, [setting]).items()))))
        output = check_output(args.output)
    except (ParameterError, RecordingError) as error:
        return _fail(str(error))
    except argparse.ArgumentTypeError as error:
        return _fail(str(error))

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.clip_rendering import PartNotFound, record_page

    try:
        result = record_page(page, output, size=size, steps=args.steps, settings=settings,
                             changes=sorted(changes, key=lambda change: change[0]), scenario=scenario,
                             fps=args.fps, scale=args.scale, speed=args.speed, part=args.part)
    except PartNotFound as error:
        return _fail(str(error))
    except RecordingError as error:
        return _fail(str(error), 1)
    if result.error:
        return _fail(result.error, 1)
    seconds = result.seconds if math.isfinite(result.seconds) else 0
    print(f"wrote {result.path} ({result.width}x{result.height}, {result.frames} frames, "
          f"{seconds:.1f} s at {args.fps} fps, {result.bytes / 1e6:.2f} MB; steps 0 to {result.last_step})")
    if result.diverged_at_step is not None:
        print(f"note: training diverged at step {result.diverged_at_step}; the clip shows it")
    return 0
