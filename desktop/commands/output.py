"""What the commands print: strict JSON (NaN and infinities become null) and aligned tables."""
from __future__ import annotations

import json
import math
import sys

import numpy as np


def json_safe(value):
    """NaN and infinities become null, numpy values plain ones: the output is strict JSON."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(value, **options) -> None:
    """Print ``value`` as one strict JSON document (allow_nan=False: a NaN that escaped is a bug)."""
    print(json.dumps(json_safe(value), allow_nan=False, **options))


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Left-aligned columns under a header and a rule."""
    widths = [max(len(header), *(len(row[i]) for row in rows)) for i, header in enumerate(headers)]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths)).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def fail(message: str, code: int = 2) -> int:
    """One line on stderr; the exit code (2: bad arguments)."""
    sys.stderr.write(f"distill-lab: error: {message}\n")
    return code
