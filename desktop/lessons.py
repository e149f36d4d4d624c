"""Guided lessons: a sequence of short steps, each with what to say, what to do (the page's
state) and what to watch, optionally waiting for an event after which training pauses.

A lesson is plain JSON, only ever read as data, and validated whole like a scenario
(desktop/scenarios.py): a bad file is refused with one message naming the file and the problem,
and the app keeps its state. No Qt here; desktop/lesson_runner.py plays a lesson in the window.

Format (version 1)::

    {"format": "distill-lab lesson", "version": 1, "name": "BYOL: three guards",
     "page": "byol",                                  # the page of steps that name none
     "steps": [
       {"title": "Break it",
        "say": "Switch the stop-gradient off ...",    # what the lecturer says
        "do": {"page": "byol", "params": {"stop_gradient": false}, "reset": true, "play": true},
        "watch": "The outputs shrink to one dot.",   # what the hall should look at
        "wait": {"until": "verdict", "is": "collapsed", "max_steps": 3000}}]}

"do" is optional: "page" shows a page, "params" sets controls exactly as moving them would,
"reset" starts afresh from the seed, "play" starts training. "wait" is optional:
``{"until": "step", "at_least": N}``, ``{"until": "verdict", "is": WORD}`` (the verdict changing to WORD) or
``{"until": "metric", "name": METRIC, "below"/"above": X}``; with "max_steps" the wait gives up
at that step (and says so). When the event comes, training pauses so the hall can look.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from desktop.data_files import parse_json_text, read_text_file
from engine.params import ParameterError

FORMAT = "distill-lab lesson"
VERSION = 1
MAX_BYTES = 256 * 1024
MAX_DEPTH = 8  # a lesson nests four levels (a parameter in a step's "do" in the steps list)
MAX_STEPS = 60
MAX_TRAINING_STEPS = 1_000_000
TOP_LEVEL_KEYS = {"format", "version", "name", "page", "steps"}
STEP_KEYS = {"title", "say", "do", "watch", "wait"}
DO_KEYS = {"page", "params", "reset", "play"}
TEXT_LIMITS = {"title": 80, "say": 600, "watch": 300}
# The words each page's headline uses for its live state (widgets' live_state and DINO's verdict).
VERDICTS = {
    "byol": ("healthy", "partly collapsed", "collapsed"),
    "dino": ("healthy", "collapsed", "one prototype dominates", "uniform"),
}


class LessonError(ValueError):
    """A lesson file that is refused; the message names the file and the problem."""


@dataclass(frozen=True)
class Wait:
    """The event a step waits for before training pauses."""

    until: str  # "step", "verdict" or "metric"
    at_least: int = 0  # until step
    verdict: str = ""  # until verdict
    metric: str = ""  # until metric
    below: float | None = None
    above: float | None = None
    max_steps: int | None = None

    def describe(self) -> str:
        if self.until == "step":
            return f"step {self.at_least}"
        if self.until == "verdict":
            return f"the verdict '{self.verdict}'"
        bound = f"below {self.below:g}" if self.below is not None else f"above {self.above:g}"
        return f"{self.metric.replace('_', ' ')} {bound}"

    def met(self, snapshot: dict, verdicts: set[str]) -> bool:
        """Whether ``snapshot`` (with the page's verdict words) shows the event."""
        if self.until == "step":
            return snapshot["step"] >= self.at_least
        if self.until == "verdict":
            return self.verdict in verdicts
        value = snapshot["latest"].get(self.metric)
        if value is None or not math.isfinite(value):
            return False
        return value < self.below if self.below is not None else value > self.above

    def gave_up(self, snapshot: dict) -> bool:
        return self.max_steps is not None and snapshot["step"] >= self.max_steps


@dataclass(frozen=True)
class LessonStep:
    """One validated step."""

    title: str
    say: str
    watch: str
    page: str
    params: dict = field(default_factory=dict)
    reset: bool = False
    play: bool = False
    wait: Wait | None = None


@dataclass(frozen=True)
class Lesson:
    """A validated lesson."""

    name: str
    steps: tuple[LessonStep, ...]
    path: Path | None = None

    @property
    def pages(self) -> list[str]:
        return list(dict.fromkeys(step.page for step in self.steps))


def _training_specs(page: str):
    """The page's simulation class (its PARAMS and METRICS), or None for a page that does not train."""
    from desktop.pages import page as page_description

    return page_description(page).simulation_class


def _text(value: object, where: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise LessonError(f"{where} must be text of at most {limit} characters")
    if required and not value.strip():
        raise LessonError(f"{where} is missing")
    return value.strip()


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LessonError(f"{where} must be a finite number, not {value!r}")
    return float(value)


def _whole(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TRAINING_STEPS:
        raise LessonError(f"{where} must be a whole number from 0 to {MAX_TRAINING_STEPS}, not {value!r}")
    return value


def _validate_wait(data: object, page: str, where: str) -> Wait:
    if not isinstance(data, dict):
        raise LessonError(f"{where} must be an object such as {{\"until\": \"step\", \"at_least\": 500}}")
    simulation = _training_specs(page)
    if simulation is None:
        raise LessonError(f"{where}: the {page} page does not train, so there is nothing to wait for")
    until = data.get("until")
    allowed = {"step": {"until", "at_least", "max_steps"}, "verdict": {"until", "is", "max_steps"},
               "metric": {"until", "name", "below", "above", "max_steps"}}
    if until not in allowed:
        raise LessonError(f"{where}: 'until' must be one of step, verdict, metric, not {until!r}")
    unknown = sorted(set(data) - allowed[until])
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r} for until {until}; "
                          f"known: {', '.join(sorted(allowed[until]))}")
    max_steps = None if data.get("max_steps") is None else _whole(data["max_steps"], f"{where}: 'max_steps'")
    if until == "step":
        return Wait("step", at_least=_whole(data.get("at_least"), f"{where}: 'at_least'"), max_steps=max_steps)
    if until == "verdict":
        words = VERDICTS.get(page, ())
        if data.get("is") not in words:
            raise LessonError(f"{where}: 'is' must be one of {', '.join(words)}, not {data.get('is')!r}")
        return Wait("verdict", verdict=data["is"], max_steps=max_steps)
    metrics = getattr(simulation, "METRICS", ())
    if data.get("name") not in metrics:
        raise LessonError(f"{where}: 'name' must be one of {', '.join(metrics)}, not {data.get('name')!r}")
    if ("below" in data) == ("above" in data):
        raise LessonError(f"{where}: give exactly one of 'below' and 'above'")
    bound = "below" if "below" in data else "above"
    value = _number(data[bound], f"{where}: '{bound}'")
    return Wait("metric", metric=data["name"], max_steps=max_steps, **{bound: value})


def _validate_step(data: object, number: int, page: str | None, source: str) -> LessonStep:
    where = f"{source}: step {number}"
    if not isinstance(data, dict):
        raise LessonError(f"{where} must be an object with title, say, do, watch, wait")
    unknown = sorted(set(data) - STEP_KEYS)
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r}; a step has {', '.join(sorted(STEP_KEYS))}")
    texts = {key: _text(data.get(key), f"{where}: '{key}'", limit, key in ("title", "say"))
             for key, limit in TEXT_LIMITS.items()}
    do = data.get("do", {})
    if not isinstance(do, dict):
        raise LessonError(f"{where}: 'do' must be an object with page, params, reset, play")
    unknown = sorted(set(do) - DO_KEYS)
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r} in 'do'; known: {', '.join(sorted(DO_KEYS))}")
    from desktop.pages import all_pages_keys

    page = do.get("page", page)
    if page not in all_pages_keys():
        raise LessonError(f"{where}: 'page' must be one of {', '.join(all_pages_keys())}, not {page!r}")
    for flag in ("reset", "play"):
        if not isinstance(do.get(flag, False), bool):
            raise LessonError(f"{where}: '{flag}' must be true or false")
    params = do.get("params", {})
    if not isinstance(params, dict):
        raise LessonError(f"{where}: 'params' must be an object of parameter values")
    simulation = _training_specs(page)
    if simulation is None and (params or do.get("reset") or do.get("play")):
        raise LessonError(f"{where}: the {page} page does not train; a step there can only show it")
    validated = {}
    if simulation is not None:
        specs = {spec.name: spec for spec in simulation.PARAMS}
        for name, value in params.items():
            if name not in specs:
                raise LessonError(f"{where}: unknown parameter {name!r} for the {page} page")
            try:
                validated[name] = specs[name].validate(value)
            except ParameterError as error:
                raise LessonError(f"{where}: {error}") from None
    wait = None if data.get("wait") is None else _validate_wait(data["wait"], page, f"{where}: 'wait'")
    return LessonStep(texts["title"], texts["say"], texts["watch"], page, validated,
                      do.get("reset", False), do.get("play", False), wait)


def validate_lesson(data: object, source: str = "lesson") -> Lesson:
    """A Lesson from parsed JSON, or LessonError naming what is wrong."""
    if not isinstance(data, dict):
        raise LessonError(f"{source}: expected a JSON object at the top, found {type(data).__name__}")
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise LessonError(f"{source}: unknown key {unknown[0]!r}; a lesson has {', '.join(sorted(TOP_LEVEL_KEYS))}")
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise LessonError(f"{source}: not a version {VERSION} Distill Lab lesson "
                          f"(\"format\": \"{FORMAT}\", \"version\": {VERSION})")
    name = _text(data.get("name"), f"{source}: 'name'", 80, required=True)
    steps = data.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise LessonError(f"{source}: 'steps' must be a list of 1 to {MAX_STEPS} steps")
    page = data.get("page")
    validated = []
    for number, step in enumerate(steps, 1):
        validated.append(_validate_step(step, number, page, source))
        page = validated[-1].page  # a step without a page stays on the previous step's page
    return Lesson(name, tuple(validated))


def parse_lesson(text: str, source: str = "lesson") -> Lesson:
    return validate_lesson(parse_json_text(text, source, "lesson", LessonError, MAX_DEPTH), source)


def load_lesson(path: str | Path) -> Lesson:
    """Read a lesson file; every failure is a LessonError with a readable message."""
    path = Path(path)
    lesson = parse_lesson(read_text_file(path, "lesson", LessonError, MAX_BYTES), path.name)
    return Lesson(lesson.name, lesson.steps, path)


def lessons_dir() -> Path:
    from resources.paths import resources_dir

    return resources_dir() / "lessons"


def bundled_lessons() -> list[Lesson]:
    """The lessons shipped in resources/lessons, sorted by file name."""
    return [load_lesson(path) for path in sorted(lessons_dir().glob("*.json"))]


def lesson_for_page(lessons: list[Lesson], page: str) -> Lesson | None:
    """The first bundled lesson that stays on ``page`` (what PageDown starts there)."""
    return next((lesson for lesson in lessons if lesson.pages == [page]), None)
