"""The options the commands share (bounded numbers, --seed, --json) and the parser that refuses bad
arguments in one line: every command refuses a bad value the same way. No Qt is imported."""
from __future__ import annotations

import argparse
import sys
from typing import Callable


def bounded_number(option: str, kind: type, minimum: float, maximum: float, *,
                   expected: str | None = None, subject: str | None = None) -> Callable[[str], float]:
    """An argparse ``type`` accepting ``kind`` (int or float) values from ``minimum`` to ``maximum``.

    ``expected`` replaces "must be a whole number" / "must be a number" in the message for text
    that is not a number; ``subject`` replaces the option's name in the out-of-range message.
    """
    expected = expected or ("must be a whole number" if kind is int else "must be a number")
    subject = subject or option

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {expected}, not {text!r}") from None
        if not minimum <= value <= maximum:  # NaN fails this too
            raise argparse.ArgumentTypeError(f"{subject} must be from {minimum} to {maximum}, not {text}")
        return value

    return parse


SEED_MAXIMUM = 2**31 - 1


def seed_number(text: str) -> int:
    """The one ``--seed`` type of every command: a whole number from 0 to SEED_MAXIMUM."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= SEED_MAXIMUM:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number from 0 to {SEED_MAXIMUM}, not {text!r}")
    return value


def add_seed_option(parser: argparse.ArgumentParser, help_text: str = "seed") -> None:
    """``--seed S`` (default 0) on a command."""
    parser.add_argument("--seed", type=seed_number, default=0, metavar="S",
                        help=f"{help_text}, 0 to {SEED_MAXIMUM} (default 0)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (NaN and infinities are written as null)")


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        sys.stderr.write(f"distill-lab: error: {message}\n")
        sys.exit(2)
