"""The lesson bar under the page: the lesson's name, the current step and its number, what to say
and what to watch, the wait's state, and Previous / Next buttons (PageUp / PageDown, what
presentation clickers send)."""
from __future__ import annotations

import html

from PySide6 import QtCore, QtWidgets

from widgets.theme import BASE_FONT_PT, Theme

SAY_HIDDEN_FROM_ZOOM = 1.3


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
            label.setWordWrap(label is not self.status)
            label.setTextFormat(QtCore.Qt.RichText)
        self.previous_button = QtWidgets.QPushButton("◀ Back")
        self.previous_button.setToolTip("Previous step (PageUp)")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.next_button.setToolTip("Next step (PageDown)")
        self.end_button = QtWidgets.QPushButton("End")
        self.end_button.setToolTip("End the lesson")
        text = QtWidgets.QVBoxLayout()
        text.setSpacing(1)
        heading_row = QtWidgets.QHBoxLayout()
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.status, 0, QtCore.Qt.AlignRight)  # the wait's state beside the step
        text.addLayout(heading_row)
        text.addWidget(self.words)
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.next_button)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.previous_button)
        row.addWidget(self.end_button)
        buttons.addLayout(row)
        buttons.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.end_button.clicked.connect(self.end_requested)
        self.zoom = 1.0
        self._shown: tuple | None = None
        self.hide()

    def show_step(self, lesson_name: str, number: int, count: int, title: str, say: str, watch: str) -> None:
        self.heading.setText(f"<b>Step {number} of {count}: {html.escape(title)}</b>")
        self.heading.setToolTip(f"Lesson: {lesson_name}")
        self._shown = (lesson_name, number, count, title, say, watch)
        # What to say is the lecturer's prompt (smaller; at presenter zoom only in the tooltip, so
        # the page keeps its height); what to watch is for the hall.
        watch_text = f"<b>Watch:</b> {html.escape(watch)}" if watch else ""
        say_text = f"<span style='font-size:small'>{html.escape(say)}</span>" if self.zoom < SAY_HIDDEN_FROM_ZOOM else ""
        self.words.setText("<br>".join(part for part in (say_text, watch_text) if part))
        self.words.setVisible(bool(say_text or watch_text))
        self.words.setToolTip(say)
        self.previous_button.setEnabled(number > 1)
        self.next_button.setText("Finish ■" if number == count else "Next ▶")
        self.show()

    def show_status(self, text: str) -> None:
        self.status.setText(html.escape(text))
        self.status.setVisible(bool(text))

    def set_theme(self, theme: Theme, zoom: float) -> None:
        self.zoom = zoom
        if self._shown is not None and not self.isHidden():
            self.show_step(*self._shown)  # the prompt's place depends on the zoom
        base = BASE_FONT_PT * zoom
        self.setStyleSheet(
            f"QFrame#lessonBar {{ background: {theme.panel}; border-top: {max(2, round(4 * zoom))}px solid {theme.warning}; }}"
            f"QFrame#lessonBar QLabel {{ background: {theme.panel}; }}"
            f"QLabel#lessonHeading {{ font-size: {base * 1.1:.1f}pt; }}"
            f"QLabel#lessonStatus {{ color: {theme.primary}; font-weight: bold; }}")
