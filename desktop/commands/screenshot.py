"""`distill-lab screenshot OUT.png`: render a page offscreen to a PNG. Qt is imported only when the
command runs, so building the parser stays headless."""
from __future__ import annotations

import argparse
import os

from desktop.commands.options import bounded_number
from desktop.commands.output import fail
from desktop.commands.run import STEPS_OPTION
from desktop.pages import all_pages_keys, page
from engine.params import ParameterError, spec_table

# The ends of desktop.settings.ZOOM_STEPS and the names of widgets.theme.THEMES, kept here so the
# parser needs no Qt (tests/cli/test_commands.py checks they agree).
ZOOM_RANGE = (0.8, 2.0)
THEME_NAMES = ("light", "dark")


def add_screenshot_parser(commands) -> argparse.ArgumentParser:
    shot = commands.add_parser("screenshot", help="render a page offscreen to a PNG")
    shot.add_argument("output", help="PNG file to write")
    shot.add_argument("--page", default="byol", choices=all_pages_keys(), metavar="PAGE",
                      help=f"which page: {', '.join(all_pages_keys())} (default byol)")
    shot.add_argument("--steps", type=STEPS_OPTION, default=None,
                      help="training steps before the picture (default: the page's default)")
    shot.add_argument("--size", default="1280x720", help="window size WxH (default 1280x720)")
    shot.add_argument("--zoom", type=bounded_number("--zoom", float, *ZOOM_RANGE), default=None, metavar="Z",
                      help=f"presenter zoom, {ZOOM_RANGE[0]:g} to {ZOOM_RANGE[1]:g} (default: the settings file's)")
    shot.add_argument("--theme", choices=THEME_NAMES, default=None,
                      help="colour theme (default: the settings file's)")
    shot.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                      help="set a parameter of the page before training, e.g. --set stop_gradient=false")
    shot.set_defaults(run=take_screenshot)
    return shot


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--size must look like 1280x720, not {text!r}") from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise ParameterError(f"--size must be between 320x240 and 7680x4320, not {text!r}")
    return width, height


def _parse_settings(page_key: str, settings: list[str]) -> dict[str, object]:
    """NAME=VALUE pairs validated against the page's parameters."""
    if not settings:
        return {}
    simulation_class = page(page_key).simulation_class
    if simulation_class is None:
        raise ParameterError(f"page {page_key!r} has no training parameters to --set")
    specs = spec_table(simulation_class.PARAMS)
    choices = getattr(simulation_class, "CHOICE_PARAMS", {})  # named choices, e.g. the ablation page's part
    values: dict[str, object] = {}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if sep and name in choices:
            if text.strip() not in choices[name]:
                raise ParameterError(f"{name} must be one of {', '.join(choices[name])}, not {text!r}")
            values[name] = text.strip()
            continue
        if not sep or name not in specs:
            raise ParameterError(f"--set takes NAME=VALUE with NAME one of {', '.join([*specs, *choices])}, "
                                 f"not {item!r}")
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
    try:
        size = _parse_size(args.size)
        directory = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(directory):
            raise ParameterError(f"folder {directory!r} does not exist")
        settings = _parse_settings(args.page, args.settings)
    except ParameterError as error:
        return fail(str(error))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import render_page

    image = render_page(args.page, args.steps, size, settings, theme=args.theme, zoom=args.zoom)
    if not image.save(args.output, "PNG"):
        return fail(f"could not write {args.output!r}", 1)
    print(f"wrote {args.output} ({image.width()}x{image.height()})")
    return 0
