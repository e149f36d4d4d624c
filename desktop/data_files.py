"""Reading the small JSON files a lecturer writes (scenarios, lessons): regular files only, read
without blocking, bounded in size, nesting and integer length (desktop/safe_read.py), decoded and
parsed once, every failure one message naming the file. Read as data, never executed. No Qt."""
from __future__ import annotations

from pathlib import Path

from desktop.safe_read import FileRefused, parse_json, read_bounded


def parse_json_text(text: str, source: str, kind: str, error: type[Exception], max_depth: int) -> object:
    """Plain data from JSON ``text``: deep nesting, huge integers and NaN/Infinity are refused."""
    if not text.strip():
        raise error(f"{source}: the file is empty")
    try:
        return parse_json(text, max_depth)
    except ValueError as problem:
        raise error(f"{source}: not valid JSON ({problem})") from None


def read_text_file(path: Path, kind: str, error: type[Exception], max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``; a FIFO, device, socket or folder
    is refused at once, never opened for a blocking read."""
    name = path.name
    try:
        raw = read_bounded(path, max_bytes)
    except FileRefused as refusal:
        text = str(refusal)
        if text.startswith("is larger than"):
            text = f"is too large for a {kind} (at most {max_bytes // 1024} KiB)"
        elif text.startswith("there is no such file"):
            text = "no such file"
        raise error(f"{name}: {text}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file (not UTF-8)") from None
