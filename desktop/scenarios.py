"""Scenario files: named presets that set every control of a page, the seed and a caption.

A lecturer prepares a lesson at home, saves it, and replays it identically in the hall. A file is
plain JSON and is only ever *read as data*: every value is validated against the page's own
parameter specs, and a bad file is refused whole with a message that names the problem, so the
app keeps its current state. No Qt here: the command line and tests use it headless.

Format (version 1)::

    {"format": "distill-lab scenario", "version": 1, "name": "No stop-gradient",
     "page": "byol", "caption": "Switch the stop-gradient off ...",
     "params": {"ema": true, "stop_gradient": false, ...}}

Parameters left out keep their defaults, so a scenario always sets every control.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from desktop.data_files import parse_json_text, read_text_file
from engine.params import ParameterError, validate_params

FORMAT = "distill-lab scenario"
VERSION = 1
MAX_BYTES = 256 * 1024  # a scenario is a few hundred bytes; anything huge is not one
TOP_LEVEL_KEYS = {"format", "version", "name", "page", "caption", "params"}


class ScenarioError(ValueError):
    """A scenario file that is refused; the message names the file and the problem."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    name: str
    page: str
    caption: str
    params: dict = field(default_factory=dict)
    path: Path | None = None

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, "name": self.name,
                           "page": self.page, "caption": self.caption,
                           "params": self.params}, indent=2) + "\n"


def validate_multicrop(params: dict) -> dict:
    """The multi-crop page's scenario: its simulation's ParamSpecs, and scale ranges whose minimum
    is not above their maximum (each value alone cannot say that)."""
    from engine.multicrop import MultiCropConfig
    from engine.multicrop_training import MULTICROP_TRAINING_PARAMS
    from engine.params import validate_params

    validated = validate_params(MULTICROP_TRAINING_PARAMS, params)
    MultiCropConfig(global_scale=(validated["global_scale_min"], validated["global_scale_max"]),
                    local_scale=(validated["local_scale_min"], validated["local_scale_max"])).validate()
    return validated


def validate_ablation(params: dict) -> dict:
    """The ablation page's scenario schema: its simulation's specs, the part in view, and a steps a
    cell the page's menu offers."""
    from engine.ablation import PARTS, STEPS_PER_CELL, AblationSimulation

    rest = {name: value for name, value in params.items() if name != "part"}
    validated = validate_params(AblationSimulation.PARAMS, rest)
    part = params.get("part", PARTS[0])
    if part not in PARTS:
        raise ParameterError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    if validated["steps_per_cell"] not in STEPS_PER_CELL:
        raise ParameterError(f"steps_per_cell must be one of {', '.join(map(str, STEPS_PER_CELL))}, "
                             f"not {validated['steps_per_cell']!r}")
    return {**validated, "part": part}


def validate_scenario(data: object, source: str = "scenario") -> Scenario:
    """A Scenario from parsed JSON, or ScenarioError naming what is wrong."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a JSON object at the top, found {type(data).__name__}")
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ScenarioError(f"{source}: unknown key {unknown[0]!r}; a scenario has "
                            f"{', '.join(sorted(TOP_LEVEL_KEYS))}")
    if data.get("format", FORMAT) != FORMAT or data.get("version", VERSION) != VERSION:
        raise ScenarioError(f"{source}: not a version {VERSION} Distill Lab scenario")
    from desktop.pages import all_pages_keys, page as page_description

    page = data.get("page")
    if not isinstance(page, str) or page not in all_pages_keys():
        raise ScenarioError(f"{source}: 'page' must be one of {', '.join(all_pages_keys())}, not {page!r}")
    texts = {}
    for key, limit in (("name", 80), ("caption", 400)):
        value = data.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            raise ScenarioError(f"{source}: '{key}' must be text of at most {limit} characters")
        texts[key] = value.strip()
    if not texts["name"]:
        raise ScenarioError(f"{source}: 'name' is missing")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ScenarioError(f"{source}: 'params' must be an object of parameter values")
    try:
        validated = page_description(page).validate_params(params)
    except ParameterError as error:
        raise ScenarioError(f"{source}: {error}") from None
    return Scenario(texts["name"], page, texts["caption"], validated)


MAX_DEPTH = 8  # a scenario nests three levels (a scale range in params in the file)


def parse_scenario(text: str, source: str = "scenario") -> Scenario:
    """Parse and validate scenario text (plain data only: bounded nesting, integers and no NaN)."""
    return validate_scenario(parse_json_text(text, source, "scenario", ScenarioError, MAX_DEPTH), source)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file; every failure is a ScenarioError with a readable message. A FIFO,
    device or socket is refused at once, never opened for a blocking read."""
    path = Path(path)
    scenario = parse_scenario(read_text_file(path, "scenario", ScenarioError, MAX_BYTES), path.name)
    return Scenario(scenario.name, scenario.page, scenario.caption, scenario.params, path)


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write a scenario file (validated first, so a saved file always loads)."""
    validate_scenario(json.loads(scenario.to_json()), str(path))
    try:
        Path(path).write_text(scenario.to_json(), encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{Path(path).name}: cannot be written ({error.strerror})") from None


def scenarios_dir() -> Path:
    from resources.paths import resources_dir

    return resources_dir() / "scenarios"


def bundled_scenarios() -> list[Scenario]:
    """The presets shipped in resources/scenarios, sorted by file name (which gives the order)."""
    return [load_scenario(path) for path in sorted(scenarios_dir().glob("*.json"))]


def finite_params(params: dict) -> bool:
    """True when no number in ``params`` is NaN or infinite (a guard for saving live state)."""
    return all(not (isinstance(v, float) and not math.isfinite(v)) for v in params.values())
