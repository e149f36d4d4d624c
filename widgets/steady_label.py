"""A label whose text changes every frame without re-laying out the window.

A QLabel in a layout calls updateGeometry() on every setText: the layout request climbs to the
tab widget, which re-lays out and repaints the whole window, control column included (what that
cost a frame: docs/performance.md). Here the label lives in a holder without a layout, which
ignores those requests; the holder changes its own height only when the text needs a different
number of lines (or a new font), so the window is re-laid out only then.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class SteadyLabelHolder(QtWidgets.QWidget):
    """Holds ``label`` at its full width and at the height its text needs."""

    def __init__(self, label: QtWidgets.QLabel, parent=None):
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(QtWidgets.QSizePolicy.Preferred, QtWidgets.QSizePolicy.Fixed)
        self.setFixedHeight(0)

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(40, self.height())

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(200, self.height())

    def event(self, event: QtCore.QEvent) -> bool:
        # The label's own updateGeometry() arrives here as a posted LayoutRequest (text or font).
        if event.type() == QtCore.QEvent.LayoutRequest:
            self.fit()
            return True
        return super().event(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event) -> None:
        # Hidden, the holder got no LayoutRequest for text or font changes (another tab, say).
        super().showEvent(event)
        self.fit()

    def fit(self) -> None:
        """Give the label the whole width and exactly the height its text needs at that width."""
        width = max(1, self.width())
        if self.label.isHidden() or not self.label.text():
            height = 0
        elif self.label.wordWrap():
            height = self.label.heightForWidth(width)
        else:
            height = self.label.sizeHint().height()
        height = max(0, height)
        if height != self.height():
            self.setFixedHeight(height)  # the one change that re-lays out the window
        self.label.setGeometry(0, 0, width, height)


def steady_label(object_name: str) -> tuple[QtWidgets.QLabel, SteadyLabelHolder]:
    """A word-wrapped rich-text label with ``object_name`` (for the style sheet), and its holder."""
    label = QtWidgets.QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    return label, SteadyLabelHolder(label)
