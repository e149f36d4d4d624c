"""The `distill-lab` command: open the app, train headless, or render a page to PNG.

Options for `run` are generated from each simulation's ParamSpecs, so the command line validates
exactly as the controls do. Bad arguments get one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

from desktop.ablation_command import add_ablation_parser, run_ablation
from desktop.arguments import bounded_number
from desktop.bench_command import add_bench_parser, run_bench
from desktop.crops_command import add_crops_parser, run_crops
from desktop.record_command import add_record_parser, run_record
from engine.params import ParameterError, spec_table
from engine.registry import SIMULATIONS

MAX_STEPS = 1_000_000
STEPS_OPTION = bounded_number("--steps", int, 0, MAX_STEPS)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        sys.stderr.write(f"distill-lab: error: {message}\n")
        sys.exit(2)



def _param_type(spec):
    """The argparse type of a numeric parameter: a refusal names the parameter and its range."""
    def parse(text: str) -> int | float:
        try:
            return spec.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{spec.name} must be {spec.range_text()}, not {text!r}") from None
    return parse


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="distill-lab",
        description="Distill Lab: watch self-supervised learning without negatives avoid collapse.",
    )
    commands = parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser)

    run = commands.add_parser("run", help="train a simulation headless and print a summary")
    simulations = run.add_subparsers(dest="simulation", required=True, parser_class=OneLineArgumentParser)
    for name, simulation_class in SIMULATIONS.items():
        sub = simulations.add_parser(name, help=(simulation_class.__doc__ or "").strip().splitlines()[0])
        sub.add_argument("--steps", type=STEPS_OPTION, default=simulation_class.DEFAULT_STEPS,
                         help=f"training steps (default {simulation_class.DEFAULT_STEPS})")
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        for spec in simulation_class.PARAMS:
            if spec.kind is bool:
                sub.add_argument(spec.cli_name, dest=spec.name, action="store_const",
                                 const=not spec.default, default=None, help=spec.help)
            else:
                sub.add_argument(spec.cli_name, dest=spec.name, default=None,
                                 type=_param_type(spec),
                                 metavar="N" if spec.kind is int else "X",
                                 help=f"{spec.help} ({spec.range_text()}; default {spec.default:g})")

    add_crops_parser(commands)
    add_ablation_parser(commands)
    add_bench_parser(commands)
    add_record_parser(commands, STEPS_OPTION, _parse_size)

    shot = commands.add_parser("screenshot", help="render a page offscreen to a PNG")
    shot.add_argument("output", help="PNG file to write")
    shot.add_argument("--page", default="byol", help="which page (default byol)")
    shot.add_argument("--steps", type=STEPS_OPTION, default=None,
                      help="training steps before the picture (default: the page's default)")
    shot.add_argument("--size", default="1280x720", help="window size WxH (default 1280x720)")
    shot.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                      help="set a parameter of the page before training, e.g. --set stop_gradient=false")
    return parser


def _json_safe(value):
    """NaN and infinities become null, numpy scalars plain numbers: the output is strict JSON."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_simulation(args: argparse.Namespace) -> int:
    simulation_class = SIMULATIONS[args.simulation]
    params = {spec.name: getattr(args, spec.name) for spec in simulation_class.PARAMS
              if getattr(args, spec.name) is not None}
    try:
        simulation = simulation_class(**params)
    except ParameterError as error:
        sys.stderr.write(f"distill-lab: error: {error}\n")
        return 2
    seconds = simulation.run(args.steps)
    summary = _json_safe(simulation.summary(seconds))
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{simulation_class.NAME}: {summary['steps']} steps in {seconds:.2f} s "
              f"({summary['steps'] / max(seconds, 1e-9):.0f} steps/s)")
        settings = ", ".join(f"{key}={value}" for key, value in summary["config"].items())
        print(f"settings: {settings}")
        for key, value in summary["final"].items():
            print(f"  {key:>20s}: {value:.4g}" if isinstance(value, float) else f"  {key:>20s}: {value}")
    if simulation.diverged:
        sys.stderr.write(f"distill-lab: training diverged: {simulation.divergence_reason}\n")
        return 1
    return 0


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--size must look like 1280x720, not {text!r}") from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise ParameterError(f"--size must be between 320x240 and 7680x4320, not {text!r}")
    return width, height


def _parse_settings(page: str, settings: list[str]) -> dict[str, object]:
    """NAME=VALUE pairs validated against the page's parameters."""
    if not settings:
        return {}
    if page not in SIMULATIONS:
        raise ParameterError(f"page {page!r} has no training parameters to --set")
    specs = spec_table(SIMULATIONS[page].PARAMS)
    values: dict[str, object] = {}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in specs:
            raise ParameterError(f"--set takes NAME=VALUE with NAME one of {', '.join(specs)}, not {item!r}")
        spec = specs[name]
        if spec.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "on", "off", "1", "0"):
                raise ParameterError(f"{name} must be true or false, not {text!r}")
            values[name] = lowered in ("true", "on", "1")
        else:
            try:
                number = float(text)
            except ValueError:
                raise ParameterError(f"{name} must be {spec.range_text()}, not {text!r}") from None
            values[name] = spec.validate(int(number) if spec.kind is int and number.is_integer() else number)
    return values


def take_screenshot(args: argparse.Namespace) -> int:
    from desktop.pages import all_pages_keys

    keys = all_pages_keys()
    if args.page not in keys:
        sys.stderr.write(f"distill-lab: error: --page must be one of {', '.join(keys)}, not {args.page!r}\n")
        return 2
    try:
        size = _parse_size(args.size)
    except ParameterError as error:
        sys.stderr.write(f"distill-lab: error: {error}\n")
        return 2
    directory = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(directory):
        sys.stderr.write(f"distill-lab: error: folder {directory!r} does not exist\n")
        return 2
    try:
        settings = _parse_settings(args.page, args.settings)
    except ParameterError as error:
        sys.stderr.write(f"distill-lab: error: {error}\n")
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import render_page

    image = render_page(args.page, args.steps, size, settings)
    if not image.save(args.output, "PNG"):
        sys.stderr.write(f"distill-lab: error: could not write {args.output!r}\n")
        return 1
    print(f"wrote {args.output} ({image.width()}x{image.height()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # Output piped into `head` and cut short: not an error worth a traceback.
        sys.stderr.close()
        return 0


def _dispatch(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run_simulation(args)
    if args.command == "screenshot":
        return take_screenshot(args)
    if args.command == "crops":
        return run_crops(args)
    if args.command == "ablation":
        return run_ablation(args)
    if args.command == "bench":
        return run_bench(args)
    if args.command == "record":
        return run_record(args, _parse_settings)
    from desktop.app import run_app

    return run_app()
