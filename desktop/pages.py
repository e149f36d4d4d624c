"""The pages of the app, in the order of their keyboard numbers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Page:
    """A page: its key (used by --page and scenarios), its tab title, and how to build it."""

    key: str
    title: str
    simulation_class: Callable | None
    panel_class: Callable


def all_pages() -> list[Page]:
    """Imported lazily so the command line can train headless without loading Qt."""
    from engine.ablation import AblationSimulation
    from engine.byol import BYOLSimulation
    from engine.dino import DINOSimulation
    from widgets.byol_panel import BYOLPanel
    from widgets.dino_panel import DINOPanel
    from widgets.ablation_panel import AblationPanel
    from widgets.multicrop_panel import MultiCropPanel

    return [
        Page("byol", "1 · BYOL guards", BYOLSimulation, BYOLPanel),
        Page("dino", "2 · DINO centering and sharpening", DINOSimulation, DINOPanel),
        Page("multicrop", "3 · Multi-crop", None, MultiCropPanel),
        Page("ablation", "4 · Ablations", AblationSimulation, AblationPanel),
    ]


PAGE_KEYS = ("byol", "dino", "multicrop", "ablation")


def all_pages_keys() -> list[str]:
    """The page keys, without importing Qt."""
    return list(PAGE_KEYS)
