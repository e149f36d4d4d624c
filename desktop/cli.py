"""The `distill-lab` entry point (pyproject's desktop.cli:main); the commands live in desktop.commands."""
from desktop.commands import build_parser, main  # noqa: F401
from desktop.commands.options import OneLineArgumentParser  # noqa: F401
