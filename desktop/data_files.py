"""Reading the small JSON files a lecturer writes (scenarios, lessons): bounded, decoded and parsed
once, every failure one message naming the file. Read as data, never executed. No Qt."""
from __future__ import annotations

import json
from pathlib import Path


def parse_json_text(text: str, source: str, kind: str, error: type[Exception]) -> object:
    """JSON from ``text``; NaN and Infinity are refused (they are not JSON)."""
    if not text.strip():
        raise error(f"{source}: the file is empty")

    def reject_constants(token: str):
        raise ValueError(f"{token} is not allowed in a {kind}")

    try:
        return json.loads(text, parse_constant=reject_constants)
    except ValueError as problem:
        raise error(f"{source}: not valid JSON ({problem})") from None


def read_text_file(path: Path, kind: str, error: type[Exception], max_bytes: int) -> str:
    """The UTF-8 text of a file of at most ``max_bytes``; reads are bounded, so even a device or a
    growing file is refused rather than read on and on."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        if size > max_bytes or len(raw) > max_bytes:
            shown = f"{size:,} bytes" if size > max_bytes else f"more than {max_bytes:,} bytes"
            raise error(f"{name}: {shown} is too large for a {kind} (at most {max_bytes // 1024} KiB)")
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except IsADirectoryError:
        raise error(f"{name}: is a folder, not a {kind} file") from None
    except PermissionError:
        raise error(f"{name}: cannot be read (permission denied)") from None
    except OSError as problem:
        raise error(f"{name}: cannot be read ({problem.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file (not UTF-8)") from None
