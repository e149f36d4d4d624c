"""The go-deeper card: the mechanism of a page in a few paragraphs, with formulas and the papers'
numbers, over the page it explains. One key (G) or the strip's button opens it; G, Escape or a
click on its close button closes it."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from widgets.theme import BASE_FONT_PT, Theme


class GoDeeperCard(QtWidgets.QFrame):
    """A scrollable rich-text card laid over its parent widget (the page)."""

    def __init__(self, rich_text: str, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.setObjectName("goDeeper")
        self.rich_text = rich_text
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setObjectName("goDeeperText")
        self.browser.setOpenLinks(False)
        self.close_button = QtWidgets.QPushButton("Close (G or Esc)")
        bar = QtWidgets.QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(bar)
        self.close_button.clicked.connect(self.hide)
        self.theme, self.zoom = None, 1.0
        parent.installEventFilter(self)  # follow the page's size
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
            return
        self._fit()
        self.raise_()
        self.show()
        self.browser.setFocus()

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        size = BASE_FONT_PT * 1.15 * zoom
        self.setStyleSheet(
            f"QFrame#goDeeper {{ background: {theme.background}; border: {max(2, round(3 * zoom))}px solid "
            f"{theme.primary}; border-radius: 6px; }}"
            f"QTextBrowser#goDeeperText {{ font-size: {size:.1f}pt; border: none; }}")
        # Headings and the sources line in the theme's colours; the rest inherits the widget's font.
        self.browser.document().setDefaultStyleSheet(
            f"h2 {{ color: {theme.primary}; }} .sources {{ color: {theme.muted}; }}")
        self.browser.setHtml(self.rich_text)

    def _fit(self) -> None:
        page = self.parentWidget().rect()
        margin = round(min(page.width(), page.height()) * 0.04)
        self.setGeometry(page.adjusted(margin, margin, -margin, -margin))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Resize and self.isVisible():
            self._fit()
        return False

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == QtCore.Qt.Key_Escape:
            self.hide()
        else:
            super().keyPressEvent(event)
