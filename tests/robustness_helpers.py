"""Helpers shared by the robustness, soak and divergence tests (not a test module itself)."""
from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

# The offscreen platform says this on every window it shows; not a fault of the app
# (desktop/app.py filters the same line).
HARMLESS_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


def plotted_arrays(panel) -> list[tuple[str, np.ndarray]]:
    """Every number a panel has handed to pyqtgraph: curves, scatter points, bars, reference lines."""
    found = []
    for plot in getattr(panel, "plots", []):
        title = getattr(plot, "title", type(plot).__name__)
        for item in plot.getPlotItem().items:
            name = f"{title}/{type(item).__name__}"
            if isinstance(item, pg.PlotDataItem):
                x, y = item.getOriginalDataset()
                for axis, values in (("x", x), ("y", y)):
                    if values is not None:
                        found.append((f"{name}.{axis}", np.asarray(values, dtype=float)))
            elif isinstance(item, pg.ScatterPlotItem):
                found.append((f"{name}.x", np.asarray(item.data["x"], dtype=float)))
                found.append((f"{name}.y", np.asarray(item.data["y"], dtype=float)))
            elif isinstance(item, pg.BarGraphItem):
                for key in ("x", "x0", "height", "y0", "y1", "width"):
                    value = item.opts.get(key)
                    if value is not None and np.ndim(value) > 0:
                        found.append((f"{name}.{key}", np.asarray(value, dtype=float)))
            elif isinstance(item, pg.InfiniteLine):
                found.append((f"{name}.value", np.asarray([item.value()], dtype=float)))
    return found


def non_finite_plots(panel) -> list[str]:
    """Names of the plotted arrays that hold NaN or an infinity (empty: everything drawn is finite)."""
    return [name for name, values in plotted_arrays(panel) if not np.isfinite(values).all()]


class QtMessages:
    """Records every Qt message (qDebug/qWarning/...) while installed; the previous handler is restored."""

    def __init__(self):
        self.records: list[tuple[str, str]] = []
        self._previous = None

    def _handler(self, mode, context, message):
        self.records.append((str(mode), message))

    def __enter__(self) -> "QtMessages":
        self._previous = QtCore.qInstallMessageHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        QtCore.qInstallMessageHandler(self._previous)

    def problems(self) -> list[tuple[str, str]]:
        """Warnings, criticals and fatals, the harmless offscreen one excepted."""
        return [(mode, text) for mode, text in self.records
                if "Debug" not in mode and "Info" not in mode and text not in HARMLESS_QT_MESSAGES]


def _rss_of(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int | str) -> list[str]:
    """The pids of a process's children (Linux /proc); empty where /proc is missing or it ended."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as task_children:
                found += task_children.read().split()
    except OSError:  # the process, or one of its threads, ended while being read
        pass
    return found


def descendants(pid: int | str) -> list[str]:
    """The pids of a process's children, their children, and so on."""
    found, pending = [], children(pid)
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children(child)
    return found


def rss_by_process() -> dict[str, int]:
    """Resident set size in KiB (Linux /proc) of this process and each of its descendants (the
    engine worker processes) by pid; empty where /proc is missing."""
    sizes = {}
    for pid in [str(os.getpid())] + descendants(os.getpid()):
        size = _rss_of(pid)
        if size:
            sizes[pid] = size
    return sizes


def rss_kib() -> int:
    """Resident set size in KiB of this process and all its descendants, 0 where /proc is missing."""
    return sum(rss_by_process().values())
