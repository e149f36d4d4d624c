"""The `distill-lab` command line: open the app, or run one of the headless commands.

Each command is a module here with an ``add_<name>_parser(commands)`` that adds its sub-parser and
sets ``run`` (its handler: args -> exit code) as a default. Adding a command = a module and one line
in COMMANDS. No Qt at module level: Qt loads only for `screenshot`, `record`, `bench` or the app itself.
Bad arguments get one line on stderr and exit code 2; --json output is strict JSON (NaN and
infinities as null).
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from desktop.commands.options import OneLineArgumentParser

# (module, the function that adds its sub-parser), in the order of `distill-lab --help`.
COMMANDS = (
    ("desktop.commands.run", "add_run_parser"),
    ("desktop.commands.crops", "add_crops_parser"),
    ("desktop.commands.ablation", "add_ablation_parser"),
    ("desktop.commands.reproduce", "add_reproduce_parser"),
    ("desktop.commands.bench", "add_bench_parser"),
    ("desktop.commands.screenshot", "add_screenshot_parser"),
    ("desktop.commands.record", "add_record_parser"),
)


def version() -> str:
    """The installed package's version, or pyproject.toml's when run from a checkout."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("distill-lab")
    except PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, ValueError):
            return "unknown"


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="distill-lab",
        description="Distill Lab: watch self-supervised learning without negatives avoid collapse.",
    )
    parser.add_argument("--version", action="version", version=f"distill-lab {version()}")
    commands = parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser)
    for module, add_parser in COMMANDS:
        getattr(importlib.import_module(module), add_parser)(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # Output piped into `head` and cut short: not an error worth a traceback.
        import sys

        sys.stderr.close()
        return 0


def _dispatch(argv: list[str] | None) -> int:
    args: argparse.Namespace = build_parser().parse_args(argv)
    if args.command is not None:
        return args.run(args)
    from desktop.app import run_app

    return run_app()
