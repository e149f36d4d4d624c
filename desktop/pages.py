"""The one page description: everything the app, the scenarios and the command line know about a
page comes from its entry here (see docs/architecture.md, "Adding a page").

Qt-free: factories are import strings ("module:Name") resolved on first use, so the command line
can list the pages and validate scenarios without loading Qt or the panels.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import engine  # noqa: F401  (single-threaded BLAS before numpy loads)
import numpy as np


def resolve(target: str | Callable | None):
    """An object from an import string "package.module:Name" (or the object itself)."""
    if target is None or not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Switch:
    """A page's own key in the Switches menu.

    ``action`` is "toggle" (flip the checkbox ``param``), "up"/"down" (nudge the slider ``param``)
    or the name of a panel method taking no argument (e.g. "resample").
    """

    text: str
    key: str
    action: str
    param: str | None = None


@dataclass(frozen=True)
class Page:
    """A page: its key (used by --page and scenarios), number key, tab title, how to build it,
    how a scenario for it is checked, its own switches, and the snapshot keys its panel draws."""

    key: str
    number: int
    title: str
    panel: str | Callable  # called as panel(controller, theme), or panel(theme) without a simulation
    simulation: str | Callable | None = None
    # Validates a scenario's params for this page: params -> complete params, or ParameterError.
    # None: the simulation's ParamSpecs (engine.params.validate_params).
    scenario_schema: str | Callable | None = None
    switches: tuple[Switch, ...] = ()
    # The snapshot keys the panel draws, with their types (checked by tests/ui/test_page_model.py).
    snapshot_keys: dict[str, type | tuple[type, ...]] = field(default_factory=dict)

    @property
    def tab_title(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def simulation_class(self):
        return resolve(self.simulation)

    @property
    def panel_class(self):
        return resolve(self.panel)

    def validate_params(self, params: dict) -> dict:
        """Complete, validated scenario parameters of this page (ParameterError if refused)."""
        schema = resolve(self.scenario_schema)
        if schema is not None:
            return schema(params)
        from engine.params import validate_params

        return validate_params(self.simulation_class.PARAMS, params)


# What every simulation's snapshot holds (engine.simulation); a page adds the keys its panel draws.
COMMON_SNAPSHOT = {"simulation": str, "step": int, "params": dict, "diverged_at_step": (int, type(None)),
                   "divergence_reason": str}

_PAGES: list[Page] = [
    Page("byol", 1, "BYOL guards", "widgets.byol_panel:BYOLPanel", "engine.byol:BYOLSimulation",
         switches=(Switch("EMA teacher on/off (BYOL)", "E", "toggle", "ema"),
                   Switch("Stop-gradient on/off (BYOL)", "S", "toggle", "stop_gradient"),
                   Switch("Predictor on/off (BYOL)", "P", "toggle", "predictor")),
         snapshot_keys={**COMMON_SNAPSHOT, "latest": dict, "history": dict, "singular_values": np.ndarray,
                        "embedding_2d": np.ndarray, "labels": np.ndarray,
                        "prediction_std_normalized": float, "teacher_std_normalized": float, "verdict": str}),
    Page("dino", 2, "DINO centering and sharpening", "widgets.dino_panel:DINOPanel",
         "engine.dino:DINOSimulation",
         switches=(Switch("Centering on/off (DINO)", "C", "toggle", "centering"),
                   Switch("Teacher temperature up (DINO)", "Up", "up", "teacher_temperature"),
                   Switch("Teacher temperature down (DINO)", "Down", "down", "teacher_temperature")),
         snapshot_keys={**COMMON_SNAPSHOT, "latest": dict, "history": dict, "prototype_usage": np.ndarray,
                        "teacher_distribution": np.ndarray, "student_distribution": np.ndarray,
                        "center": np.ndarray, "teacher_temperature_now": float, "verdict": str,
                        "raw_verdict": str}),
    Page("multicrop", 3, "Multi-crop", "widgets.multicrop_panel:MultiCropPanel",
         "desktop.photo_training:PhotoMultiCropSimulation",
         scenario_schema="desktop.scenarios:validate_multicrop",
         switches=(Switch("Resample crops (multi-crop)", "N", "resample"),
                   Switch("Twin on/off (multi-crop)", "T", "toggle", "twin")),
         snapshot_keys={**COMMON_SNAPSHOT, "latest": dict, "history": dict, "pair_losses": np.ndarray,
                        "part_whole_accuracy_start": float, "chance": float, "num_images": int, "input_size": int,
                        "photo_names": list, "display_index": int, "display_photo": np.ndarray,
                        "display_boxes": np.ndarray, "display_flipped": np.ndarray,
                        "display_crops": np.ndarray, "local_guess": np.ndarray, "chosen_local": int,
                        "chosen_student": np.ndarray, "chosen_teacher": np.ndarray}),
    Page("ablation", 4, "Ablations", "widgets.ablation_panel:AblationPanel",
         "desktop.photo_training:PhotoAblationSimulation",  # the multi-crop part decodes photos
         scenario_schema="desktop.scenarios:validate_ablation",
         snapshot_keys={**COMMON_SNAPSHOT, "part": str, "byol": dict, "dino": dict,
                        "multicrop": (dict, type(None))}),
]


def all_pages() -> list[Page]:
    """The pages in the order of their number keys."""
    return sorted(_PAGES, key=lambda page: page.number)


def all_pages_keys() -> list[str]:
    """The page keys, without importing Qt."""
    return [page.key for page in all_pages()]


def page(key: str) -> Page:
    """The page with ``key`` (KeyError naming the known keys otherwise)."""
    for candidate in _PAGES:
        if candidate.key == key:
            return candidate
    raise KeyError(f"no page {key!r}; pages: {', '.join(all_pages_keys())}")


def register_page(new: Page) -> None:
    """Add a page (its key and number key must be new)."""
    if any(p.key == new.key or p.number == new.number for p in _PAGES):
        raise ValueError(f"page {new.key!r} (key {new.number}) clashes with an existing page")
    _PAGES.append(new)


def unregister_page(key: str) -> None:
    """Remove a page added by register_page (tests register throw-away pages)."""
    _PAGES[:] = [p for p in _PAGES if p.key != key]
