"""Where the app keeps what should survive a restart (window layout, theme, zoom, hidden controls).

QSettings in the platform's usual place; DISTILL_LAB_SETTINGS names an .ini file instead
(the tests use it so they never touch a lecturer's own settings).
"""
from __future__ import annotations

import os

from PySide6 import QtCore


def app_settings() -> QtCore.QSettings:
    path = os.environ.get("DISTILL_LAB_SETTINGS")
    if path:
        return QtCore.QSettings(path, QtCore.QSettings.IniFormat)
    return QtCore.QSettings("Distill Lab", "Distill Lab")


ZOOM_STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)


def read_float(settings: QtCore.QSettings, key: str, default: float, low: float, high: float) -> float:
    """A number from the settings, or the default when it is missing, garbled or out of range."""
    try:
        value = float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def read_bool(settings: QtCore.QSettings, key: str, default: bool) -> bool:
    """A yes/no from the settings (an .ini file stores "true"/"false"), or the default when missing or garbled."""
    value = settings.value(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    return default


def read_names(settings: QtCore.QSettings, key: str, allowed) -> set[str]:
    """A set of names from the settings, keeping only the ``allowed`` ones; anything garbled reads as none.

    An .ini file returns one name as a string, several as a list, none as an empty string."""
    value = settings.value(key, [])
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return set()
    allowed = set(allowed)
    return {name.strip() for name in value if isinstance(name, str) and name.strip() in allowed}
