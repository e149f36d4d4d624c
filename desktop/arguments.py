"""Bounded number options of the command line: one checker, so every sub-command refuses a bad
value the same way, in one line that names the option and its range. No Qt is imported."""
from __future__ import annotations

import argparse
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
