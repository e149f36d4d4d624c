"""A page's control column: hiding the controls a lesson does not need, one by one or all at once,
and a width that leaves the plots room at presenter zoom on a small projector.

Hiding only hides: a hidden checkbox or slider keeps its value, its keyboard shortcut still works,
and the caption keeps stating every setting in words. A group box whose controls are all hidden
goes too, and so does the column when nothing in it is left to show.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtWidgets

# The column is at most this wide (times the zoom), and takes no more than this share of a narrow
# page unless its controls need more: at zoom 1.3 on 1280x720 the plots need the width.
COLUMN_MAX_WIDTH = 360
COLUMN_SHARE = 0.28


@dataclass(frozen=True)
class HideableControl:
    """One control as the user sees it: a key (stored in the settings), a name for the menu, and the
    widgets that make it up (a slider, a label with its boxes...)."""

    key: str
    label: str
    widgets: tuple[QtWidgets.QWidget, ...]
    in_column: bool = True  # False for a page's strip or diagram: hiding it leaves the column as it is


class ControlColumn:
    """Mixed into a page (before QWidget) that has a ``control_scroll`` and a ``zoom``; the page
    lists its controls, in the order they appear, in ``hideable_controls()``."""

    control_scroll: QtWidgets.QScrollArea
    zoom: float

    def hideable_controls(self) -> list[HideableControl]:
        raise NotImplementedError

    # -- hiding -----------------------------------------------------------------------------------
    def hidden_controls(self) -> set[str]:
        """The keys of the controls hidden now."""
        return set(getattr(self, "_hidden_controls", set()))

    def set_hidden_controls(self, keys) -> None:
        """Hide exactly these controls (unknown keys are ignored) and show the others."""
        known = {control.key for control in self.hideable_controls()}
        self._hidden_controls = {key for key in keys if key in known}
        self._apply_control_visibility()

    def set_control_hidden(self, key: str, hidden: bool) -> None:
        """Hide or show one control; its value is not touched."""
        keys = self.hidden_controls()
        keys.discard(key)
        if hidden:
            keys.add(key)
        self.set_hidden_controls(keys)

    def set_controls_visible(self, visible: bool) -> None:
        """Hide or show the whole control column (the window's Ctrl+H); the keys still work."""
        self._column_wanted = bool(visible)
        self._apply_control_visibility()

    def controls_column_wanted(self) -> bool:
        return getattr(self, "_column_wanted", True)

    def _apply_control_visibility(self) -> None:
        controls = self.hideable_controls()
        hidden = self.hidden_controls()
        groups: dict[QtWidgets.QGroupBox, bool] = {}  # group box -> does it still show a control?
        for control in controls:
            shown = control.key not in hidden
            for widget in control.widgets:
                widget.setVisible(shown)
                group = widget.parentWidget()
                if isinstance(group, QtWidgets.QGroupBox):
                    groups[group] = groups.get(group, False) or shown
        for group, shows_something in groups.items():
            group.setVisible(shows_something)
        in_column = [control for control in controls if control.in_column]
        self.control_scroll.setVisible(self.controls_column_wanted()
                                       and any(control.key not in hidden for control in in_column))
        self.fit_control_column()  # fewer controls may need less width: the plots get it

    # -- width ------------------------------------------------------------------------------------
    def fit_control_column(self) -> None:
        """As wide as the controls need (nothing clipped), else a share of the page, at most
        COLUMN_MAX_WIDTH × zoom."""
        scroll = self.control_scroll
        column = scroll.widget()
        if column is None:
            return
        needed = (column.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                  + 2 * scroll.frameWidth())
        share = int(COLUMN_SHARE * self.width())
        width = min(max(needed, min(int(COLUMN_MAX_WIDTH * self.zoom), share)), self.column_cap())
        if scroll.minimumWidth() != width or scroll.maximumWidth() != width:
            scroll.setFixedWidth(width)

    def column_cap(self) -> int:
        """The most the column may take, needed or not (a page may cap it at presenter zoom)."""
        return 2 ** 20

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.fit_control_column()
        super().resizeEvent(event)
