"""The application's style sheet: large text for a projector, colours from the theme."""
from __future__ import annotations

from widgets.theme import BASE_FONT_PT, Theme


def style_sheet(theme: Theme, zoom: float = 1.0) -> str:
    """A Qt style sheet for the theme at a presenter zoom."""
    base = BASE_FONT_PT * zoom
    return f"""
    QWidget {{ font-size: {base:.1f}pt; color: {theme.foreground}; background: {theme.background}; }}
    QMainWindow, QTabWidget::pane {{ background: {theme.background}; }}
    QTabBar::tab {{ font-size: {base * 1.1:.1f}pt; padding: {6 * zoom:.0f}px {14 * zoom:.0f}px;
                   background: {theme.panel}; border: 1px solid {theme.muted}; }}
    QTabBar::tab:selected {{ background: {theme.background}; font-weight: bold;
                            border-bottom: 3px solid {theme.primary}; }}
    QGroupBox {{ font-weight: bold; border: 1px solid {theme.muted}; border-radius: 4px;
                margin-top: {base * 1.2:.0f}px; padding-top: {base * 0.4:.0f}px; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
    QCheckBox#guard, QCheckBox#switch {{ font-size: {base * 1.25:.1f}pt; font-weight: bold;
                                         padding: {3 * zoom:.0f}px 0; }}
    QCheckBox::indicator {{ width: {20 * zoom:.0f}px; height: {20 * zoom:.0f}px; border-radius: 3px;
                           border: {max(2, round(2 * zoom))}px solid {theme.foreground};
                           background: {theme.background}; }}
    QCheckBox::indicator:checked {{ background: {theme.primary};
                                   border: {max(2, round(2 * zoom))}px solid {theme.foreground}; }}
    QLabel#verdict {{ font-size: {base * 1.55:.1f}pt; font-weight: bold; }}
    QLabel#caption {{ font-size: {base * 1.05:.1f}pt; color: {theme.foreground}; }}
    QLabel#message {{ font-size: {base * 1.1:.1f}pt; color: {theme.collapsed}; font-weight: bold; }}
    QLabel#help {{ font-size: {base * 0.95:.1f}pt; }}
    QLabel#value {{ font-weight: bold; }}
    QPushButton {{ padding: {5 * zoom:.0f}px {10 * zoom:.0f}px; background: {theme.panel};
                  border: 1px solid {theme.muted}; border-radius: 4px; }}
    QPushButton:checked {{ background: {theme.primary}; color: {theme.background}; }}
    QScrollArea {{ border: none; }}
    QToolTip {{ font-size: {base:.1f}pt; color: {theme.foreground}; background: {theme.panel};
               border: 1px solid {theme.muted}; }}
    """
