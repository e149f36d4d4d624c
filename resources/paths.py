"""Where the bundled resources live. Pure Python: no Qt, so the engine and the CLI can use it."""
from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def resources_dir() -> Path:
    """The folder holding the bundled resources (this package's folder)."""
    return Path(__file__).resolve().parent


def images_dir() -> Path:
    """The folder of bundled photographs for the multi-crop panel."""
    return resources_dir() / "images"


def images_licence_file() -> Path:
    """LICENSES.md: source, author and licence of every bundled photograph."""
    return images_dir() / "LICENSES.md"


def bundled_images() -> dict[str, Path]:
    """Bundled photographs by short name (the file name without suffix, e.g. "cat"), sorted by name."""
    folder = images_dir()
    if not folder.is_dir():
        return {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return {path.stem: path for path in files}
