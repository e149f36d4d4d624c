"""The lesson bar under the page: the lesson's name, the current step and its number, what to say
and what to watch, the wait's state, and Previous / Next buttons (PageUp / PageDown, what
presentation clickers send)."""
from __future__ import annotations

import html

from PySide6 import QtCore, QtWidgets

from widgets.theme import BASE_FONT_PT, Theme


class LessonBar(QtWidgets.QFrame):
    """Shows one step of a lesson; ``previous_requested``, ``next_requested``, ``end_requested``."""

    previous_requested = QtCore.Signal()
    next_requested = QtCore.Signal()
    end_requested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonBar")
        self.heading = QtWidgets.QLabel()
        self.heading.setObjectName("lessonHeading")
        self.words = QtWidgets.QLabel()
        self.words.setObjectName("lessonWords")
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("lessonStatus")
        for label in (self.heading, self.words, self.status):
            label.setWordWrap(True)
            label.setTextFormat(QtCore.Qt.RichText)
        self.previous_button = QtWidgets.QPushButton("◀ Back")
        self.previous_button.setToolTip("Previous step (PageUp)")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.next_button.setToolTip("Next step (PageDown)")
        self.end_button = QtWidgets.QPushButton("End")
        self.end_button.setToolTip("End the lesson")
        text = QtWidgets.QVBoxLayout()
        text.setSpacing(1)
        for label in (self.heading, self.words, self.status):
            text.addWidget(label)
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.next_button)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.previous_button)
        row.addWidget(self.end_button)
        buttons.addLayout(row)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.end_button.clicked.connect(self.end_requested)
        self.hide()

    def show_step(self, lesson_name: str, number: int, count: int, title: str, say: str, watch: str) -> None:
        self.heading.setText(f"<b>Step {number} of {count}: {html.escape(title)}</b>"
                             f" · lesson: {html.escape(lesson_name)}")
        watch_text = f"<br><b>Watch:</b> {html.escape(watch)}" if watch else ""
        self.words.setText(f"{html.escape(say)}{watch_text}")
        self.previous_button.setEnabled(number > 1)
        self.next_button.setText("Finish ■" if number == count else "Next ▶")
        self.show()

    def show_status(self, text: str) -> None:
        self.status.setText(html.escape(text))
        self.status.setVisible(bool(text))

    def set_theme(self, theme: Theme, zoom: float) -> None:
        base = BASE_FONT_PT * zoom
        self.setStyleSheet(
            f"QFrame#lessonBar {{ background: {theme.panel}; border-top: {max(2, round(4 * zoom))}px solid {theme.warning}; }}"
            f"QFrame#lessonBar QLabel {{ background: {theme.panel}; }}"
            f"QLabel#lessonHeading {{ font-size: {base * 1.1:.1f}pt; }}"
            f"QLabel#lessonStatus {{ color: {theme.primary}; font-weight: bold; }}")
