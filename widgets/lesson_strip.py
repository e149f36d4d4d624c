"""The strip at the top of a concept page: its key idea in one line and an everyday picture, with
a button to the go-deeper card. Hideable like any control (View > Controls on this page)."""
from __future__ import annotations

import html

from PySide6 import QtCore, QtWidgets

from resources.page_texts import PageText
from widgets.theme import BASE_FONT_PT, Theme


class LessonStrip(QtWidgets.QFrame):
    """Key idea and everyday picture of a page; ``go_deeper_requested`` when its button is pressed."""

    go_deeper_requested = QtCore.Signal()

    def __init__(self, text: PageText, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonStrip")
        self.text = text
        self.key_idea = QtWidgets.QLabel()
        self.key_idea.setObjectName("keyIdea")
        self.picture = QtWidgets.QLabel()
        self.picture.setObjectName("picture")
        for label in (self.key_idea, self.picture):
            label.setWordWrap(True)
            label.setTextFormat(QtCore.Qt.RichText)
            # Wrapped labels ask for their height at the width they get: no clipped second line.
            label.setSizePolicy(QtWidgets.QSizePolicy.Preferred, QtWidgets.QSizePolicy.Minimum)
        self.button = QtWidgets.QPushButton("Go deeper")
        self.button.setToolTip("The mechanism in more depth, with the papers' numbers (G)")
        words = QtWidgets.QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.key_idea)
        words.addWidget(self.picture)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 6, 3)
        layout.addLayout(words, 1)
        layout.addWidget(self.button, 0, QtCore.Qt.AlignVCenter)
        self.button.clicked.connect(self.go_deeper_requested)
        self.key_idea.setText(f"<b>Key idea:</b> {html.escape(text.key_idea)}")
        self.picture.setText(f"<i>Picture it:</i> {html.escape(text.picture)}")
        self.compact = False

    def set_compact(self, compact: bool) -> None:
        """At presenter zoom the key idea alone (the plots need the height): the picture goes to the
        strip's tooltip, where a hover still finds it."""
        self.compact = compact
        self.picture.setVisible(not compact)
        self.setToolTip(f"Picture it: {self.text.picture}" if compact else "")
        self.updateGeometry()

    # A wrapped label's own minimum is its height at its narrowest (several lines): the strip asks
    # instead for the height its words need at the width it has, so the page keeps its plots.
    def _height_at(self, width: int) -> int:
        return self.layout().heightForWidth(max(width, 400))

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return QtCore.QSize(200, self._height_at(self.width()))

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return QtCore.QSize(800, self._height_at(self.width()))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()

    def set_theme(self, theme: Theme, zoom: float) -> None:
        # A little smaller than the body text: one line each on 1280 pixels at zoom 1.5, and no larger
        # beyond (at zoom 2 the key idea wrapped to two lines and took the hero plot's height).
        size = BASE_FONT_PT * 0.9 * min(zoom, 1.5)
        self.setStyleSheet(
            f"QFrame#lessonStrip QLabel, QFrame#lessonStrip QPushButton {{ font-size: {size:.1f}pt; }}"
            # A slim button from zoom 1.5: its padding made the strip taller than its one line of words.
            f"QFrame#lessonStrip QPushButton {{ padding: {5 * zoom if zoom < 1.5 else 4:.0f}px "
            f"{10 * min(zoom, 1.5):.0f}px; }}"
            f"QFrame#lessonStrip {{ background: {theme.panel}; border-left: {max(3, round(5 * zoom))}px solid "
            f"{theme.primary}; }} QFrame#lessonStrip QLabel {{ background: {theme.panel}; }}"
            f"QLabel#picture {{ color: {theme.muted}; }}")


def page_words(page_key: str, page: QtWidgets.QWidget):
    """The strip and the go-deeper card of a page, from resources/texts/<page_key>.md, and a
    problem in words ("" if none). A page without a text file has neither; a broken file is said."""
    from resources.page_texts import PageTextError, load_page_text, texts_dir
    from widgets.go_deeper import GoDeeperCard

    if not (texts_dir() / f"{page_key}.md").exists():
        return None, None, ""
    try:
        text = load_page_text(page_key)
    except PageTextError as error:
        return None, None, f"The page's key idea and go-deeper card are not shown: {error}"
    return LessonStrip(text), GoDeeperCard(text.go_deeper, page), ""


def add_concept_extras(page: QtWidgets.QWidget, outer: QtWidgets.QBoxLayout, diagram: QtWidgets.QWidget | None):
    """For a page that is not a SimulationPanel: its strip on top of ``outer``, its go-deeper card,
    and ``diagram`` as a band above the page's last item (its drawings). Returns (strip, card)."""
    strip, card, problem = page_words(page.PAGE_KEY, page)
    if strip is not None:
        outer.insertWidget(0, strip)
        strip.go_deeper_requested.connect(card.toggle)
    if diagram is not None:
        outer.insertWidget(outer.count() - 1, diagram)
    if problem and hasattr(page, "show_message"):
        page.show_message(problem)
    return strip, card
