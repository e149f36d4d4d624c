"""Where the app keeps what should survive a restart (window layout, theme, zoom, hidden controls).

An INI file, read and written here as plain text, never by QSettings: QSettings turns a value
written as ``@Variant(...)`` into a Python object by unpickling it, so a crafted settings file
could run code at start-up. Here every value is text (a window geometry is stored as base64), and
anything else is ignored. The file is read only if it is a regular file of bounded size (a FIFO
there would keep the window from ever opening) and written only over a regular file (never over a
device node, nor through a symlink to one).

The file lives in the platform's configuration folder (on Linux where QSettings kept it);
DISTILL_LAB_SETTINGS names another one (the tests use it so they never touch a lecturer's own).
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from PySide6 import QtCore

from desktop.safe_read import FileRefused, kind_of, read_bounded

MAX_BYTES = 1024 * 1024  # a settings file is a few hundred bytes
_BYTES_PREFIX = "base64:"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def settings_path() -> Path:
    path = os.environ.get("DISTILL_LAB_SETTINGS")
    if path:
        return Path(path)
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.GenericConfigLocation)
    return Path(folder) / "Distill Lab" / ("Distill Lab.conf" if sys.platform.startswith("linux") else "Distill Lab.ini")


class PlainSettings:
    """The part of QSettings' interface the app uses (value, setValue, remove, sync, fileName),
    over plain text. ``problem`` says in words why the file was not read or not written."""

    def __init__(self, path: str | Path):
        self._path = Path(path)
        self._values: dict[str, str] = {}  # "group/key" -> text
        self._changed: set[str] = set()
        self._removed: set[str] = set()
        self.problem = ""
        self._values = self._read()

    def fileName(self) -> str:  # noqa: N802  (QSettings' name, so callers need not know)
        return str(self._path)

    def value(self, key: str, default=None):
        """The stored text (a QByteArray for bytes that were stored), or ``default``."""
        text = self._values.get(key)
        if text is None:
            return default
        if text.startswith(_BYTES_PREFIX):
            try:
                return QtCore.QByteArray(base64.b64decode(text[len(_BYTES_PREFIX):], validate=True))
            except (binascii.Error, ValueError):
                return default
        return text

    def setValue(self, key: str, value) -> None:  # noqa: N802
        self._values[key] = _as_text(value)
        self._changed.add(key)
        self._removed.discard(key)

    def remove(self, key: str) -> None:
        self._values.pop(key, None)
        self._removed.add(key)
        self._changed.discard(key)

    def contains(self, key: str) -> bool:
        return key in self._values

    # -- the file -------------------------------------------------------------------------
    def _read(self) -> dict[str, str]:
        if not os.path.lexists(self._path):
            return {}
        try:
            raw = read_bounded(self._path, MAX_BYTES)
        except FileRefused as error:
            self.problem = f"Settings file {self._path} {error}: not read, defaults used."
            return {}
        return parse_ini(raw.decode("utf-8", errors="replace"))

    def sync(self) -> bool:
        """Write the settings (merged with what another window wrote meanwhile); False, with
        ``problem`` set, when the file is not a regular file or cannot be written."""
        target = Path(os.path.realpath(self._path))  # through a symlink to a regular file
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as error:
            return self._refuse(f"Settings not saved: {self._path} cannot be checked ({error.strerror}).")
        if mode is not None and not stat.S_ISREG(mode):
            return self._refuse(f"Settings not saved: {self._path} is {kind_of(mode)}, not a regular "
                                "file; it is left as it is.")
        on_disk = {} if mode is None else self._read()
        for key in self._removed:
            on_disk.pop(key, None)
        for key in self._changed:
            on_disk[key] = self._values[key]
        self._values = on_disk
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".settings-", dir=target.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    file.write(format_ini(self._values))
                os.replace(temporary, target)  # whole or not at all: never half a file
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            return self._refuse(f"Settings not saved: {self._path} cannot be written ({error.strerror}).")
        self._changed.clear()
        self._removed.clear()
        return True

    def _refuse(self, problem: str) -> bool:
        if problem != self.problem:  # once, not at every save: the window has said it already
            sys.stderr.write(f"distill-lab: {problem}\n")
        self.problem = problem
        return False


def _as_text(value) -> str:
    if isinstance(value, (QtCore.QByteArray, bytes, bytearray)):
        return _BYTES_PREFIX + base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_CONTROL_CHARACTERS.sub("", str(item)).replace(",", "") for item in value)
    return _CONTROL_CHARACTERS.sub("", str(value))


def parse_ini(text: str) -> dict[str, str]:
    """``[group]`` and ``key=value`` lines as {"group/key": "value"}; values are text only:
    QSettings' typed values (``@Variant``, ``@ByteArray``, ``@Size``...) are ignored, never decoded."""
    values: dict[str, str] = {}
    group = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key or value.startswith("@"):
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        full_key = key if group in ("", "General") else f"{group}/{key}"
        values[full_key] = value
    return values


def format_ini(values: dict[str, str]) -> str:
    groups: dict[str, list[str]] = {}
    for key, value in values.items():
        group, _, name = key.rpartition("/")
        groups.setdefault(group or "General", []).append(f"{name}={value}")
    return "".join(f"[{group}]\n" + "\n".join(lines) + "\n\n" for group, lines in groups.items())


def app_settings() -> PlainSettings:
    return PlainSettings(settings_path())


ZOOM_STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)


def read_float(settings: PlainSettings, key: str, default: float, low: float, high: float) -> float:
    """A number from the settings, or the default when it is missing, garbled or out of range."""
    try:
        value = float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def read_bool(settings: PlainSettings, key: str, default: bool) -> bool:
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


def read_names(settings: PlainSettings, key: str, allowed) -> set[str]:
    """A set of names from the settings, keeping only the ``allowed`` ones; anything garbled reads as none.

    An .ini file returns one name as a string, several as a list, none as an empty string."""
    value = settings.value(key, [])
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return set()
    allowed = set(allowed)
    return {name.strip() for name in value if isinstance(name, str) and name.strip() in allowed}
