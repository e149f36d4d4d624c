"""Reading a file the user named without ever blocking or exploding: regular files only, bounded.

A FIFO blocks ``open()`` until someone writes to it, a device can be read for ever, and a folder
or socket is no file at all: each is refused at once with a message that says what the path is.
No Qt here: scenarios, settings and images all read through it.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path


class FileRefused(ValueError):
    """A path that is not read; the message says why in words (without the path)."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def regular_file_problem(path: str | Path) -> str | None:
    """None for an existing regular file (symlinks followed), else what is wrong, in words."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "there is no such file"
    except PermissionError:
        return "cannot be read (permission denied)"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if not stat.S_ISREG(mode):
        return f"is {kind_of(mode)}, not a regular file"
    return None


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; FileRefused for anything else.

    Opened without blocking (a FIFO's open() would wait for a writer for ever) and checked on the
    open descriptor, so the path cannot be swapped for a FIFO between the check and the read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise FileRefused("there is no such file") from None
    except IsADirectoryError:
        raise FileRefused("is a folder, not a regular file") from None
    except PermissionError:
        raise FileRefused("cannot be read (permission denied)") from None
    except OSError as error:
        raise FileRefused(f"cannot be read ({error.strerror})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise FileRefused(f"is {kind_of(mode)}, not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as error:
            raise FileRefused(f"cannot be read ({error.strerror})") from None
    if len(data) > max_bytes:
        raise FileRefused(f"is larger than {max_bytes:,} bytes")
    return data


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped), without parsing it:
    a 100,000-deep file must be refused before the parser recurses into it."""
    depth = deepest = 0
    for character in _STRINGS.sub("", text):
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


MAX_INTEGER_DIGITS = 20  # a seed or a count has at most 10; a float parameter's int form no more


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise ValueError(f"a whole number of {digits} digits is too large (at most {MAX_INTEGER_DIGITS})")
    return int(text)


def _reject_constants(token: str):
    raise ValueError(f"{token} is not allowed")


def parse_json(text: str, max_depth: int) -> object:
    """Parsed JSON, as plain data: ValueError (with words) for deep nesting, huge integers,
    NaN/Infinity, or bad syntax."""
    depth = json_depth(text)
    if depth > max_depth:
        raise ValueError(f"nested {depth} levels deep (at most {max_depth})")
    return json.loads(text, parse_int=_bounded_int, parse_constant=_reject_constants)
