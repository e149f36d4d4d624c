"""The keyboard cheat sheet: an overlay over the whole window, built from the menus' own actions,
so it can never list a shortcut that does not exist."""
from __future__ import annotations

import html

from PySide6 import QtCore, QtGui, QtWidgets

from widgets.theme import BASE_FONT_PT, LIGHT, Theme


class CheatSheet(QtWidgets.QFrame):
    """Press ? (or F1) to show, any key or click to hide."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.window_ = window
        self.setObjectName("cheatSheet")
        self.label = QtWidgets.QLabel()
        self.label.setTextFormat(QtCore.Qt.RichText)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.label, alignment=QtCore.Qt.AlignCenter)
        self.theme, self.zoom = LIGHT, 1.0
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
            return
        self.label.setText(self._table())
        self.setGeometry(self.window_.rect())
        self.raise_()
        self.show()
        self.setFocus()

    def _table(self) -> str:
        rows = []
        for menu_action in self.window_.menuBar().actions():
            menu = menu_action.menu()
            for action in menu.actions():
                keys = [key.toString(QtGui.QKeySequence.NativeText) for key in action.shortcuts()]
                if keys and action.text():
                    rows.append((html.escape(", ".join(keys)), html.escape(action.text().replace("&", ""))))
        size = BASE_FONT_PT * 1.2 * self.zoom
        cells = "".join(
            f"<tr><td style='padding:2px 18px 2px 0'><b>{key}</b></td><td>{text}</td></tr>"
            for key, text in rows)
        return (f"<div style='font-size:{size:.0f}pt'><p style='font-size:{size * 1.3:.0f}pt'>"
                f"<b>Keyboard</b></p><table>{cells}</table>"
                f"<p style='color:{self.theme.muted}'>Press any key to close</p></div>")

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        self.setStyleSheet(f"QFrame#cheatSheet {{ background: {theme.background}EE; }}")

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        self.hide()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self.hide()
