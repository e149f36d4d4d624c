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
        # Two columns side by side, and text small enough that they fit the window's height: one
        # long column was cut off at 720 px. A row is about 1.9 x the point size in pixels.
        per_column = -(-len(rows) // 2)
        size = min(BASE_FONT_PT * 1.2 * self.zoom, self.window_.height() / ((per_column + 5) * 1.9))
        # ... and narrow enough for the width: a character is about 0.75 x the point size in pixels.
        widest = [max((len(html.unescape(k)) + len(html.unescape(t)) for k, t in half), default=0)
                  for half in (rows[:per_column], rows[per_column:])]
        size = min(size, self.window_.width() / ((sum(widest) + 12) * 0.75))
        cell = "<td style='padding:2px 12px 2px 0'><b>{}</b></td><td style='padding-right:36px'>{}</td>"
        cells = ""
        for index in range(per_column):
            picked = rows[index::per_column]
            cells += "<tr>" + "".join(cell.format(key, text) for key, text in picked) + "</tr>"
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
