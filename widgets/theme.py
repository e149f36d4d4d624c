"""Colours and sizes for a lecture hall: Okabe-Ito colours (colour-blind safe), large text,
thick lines, with line styles as well as colours."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Class colours in an order where neighbours differ most; yellow last (weak on white).
CLASS_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
CLASS_SYMBOLS = ("o", "t", "s", "d", "+", "star", "x", "p")


@dataclass(frozen=True)
class Theme:
    """A colour scheme; text sizes scale with the presenter zoom."""

    name: str
    background: str
    foreground: str
    panel: str
    muted: str
    grid_alpha: float
    primary: str  # the main curve
    secondary: str  # a second curve on the same axes
    reference: str  # reference lines (1/sqrt(d), chance, log K)
    healthy: str
    collapsed: str
    warning: str
    global_view: str
    local_view: str


LIGHT = Theme(
    name="light", background="#FFFFFF", foreground="#111111", panel="#F2F2F2", muted="#555555",
    grid_alpha=0.25, primary=OKABE_ITO["blue"], secondary=OKABE_ITO["vermillion"],
    reference="#444444", healthy=OKABE_ITO["bluish_green"], collapsed=OKABE_ITO["vermillion"],
    warning=OKABE_ITO["orange"], global_view=OKABE_ITO["blue"], local_view=OKABE_ITO["bluish_green"],
)
DARK = Theme(
    name="dark", background="#111418", foreground="#F2F2F2", panel="#1D2228", muted="#B0B0B0",
    grid_alpha=0.3, primary=OKABE_ITO["sky_blue"], secondary=OKABE_ITO["orange"],
    reference="#CCCCCC", healthy=OKABE_ITO["bluish_green"], collapsed=OKABE_ITO["vermillion"],
    warning=OKABE_ITO["yellow"], global_view=OKABE_ITO["sky_blue"], local_view=OKABE_ITO["bluish_green"],
)
THEMES = {theme.name: theme for theme in (LIGHT, DARK)}

BASE_FONT_PT = 13  # at zoom 1; readable on a 1280x720 projector
LINE_WIDTH = 3.0
DASH = QtCore.Qt.DashLine
DOT = QtCore.Qt.DotLine
