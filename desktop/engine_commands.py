"""What a page may ask of its engine: a small closed set of commands, checked where they arrive.

The thread engine and the process engine apply the same commands (EngineWorker.apply); the process
receives them through a pipe, so anything else that comes down it is refused with a message instead
of being called by name. No Qt here: the engine process checks commands before it builds anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from engine.simulation import LECTURE


class CommandError(ValueError):
    """A command the engine does not know, or one whose arguments have the wrong type."""


@dataclass(frozen=True)
class Open:
    """Build the page's simulation from ``simulation_class`` with every parameter the page has set."""

    simulation_class: type
    params: dict


@dataclass(frozen=True)
class SetRunning:
    running: bool


@dataclass(frozen=True)
class Step:
    count: int


@dataclass(frozen=True)
class Reset:
    seed: int | None


@dataclass(frozen=True)
class SetParam:
    name: str
    value: object


@dataclass(frozen=True)
class Configure:
    """Every parameter at once: sent when an engine answers again after commands to it were dropped."""

    params: dict


@dataclass(frozen=True)
class SetSpeed:
    steps_per_second: float | str | None  # str: LECTURE, the simulation's own lecture pace


@dataclass(frozen=True)
class Taken:
    """The GUI has taken the last snapshot: the engine may send the next."""


@dataclass(frozen=True)
class Stop:
    """End the engine process."""


COMMANDS = (Open, SetRunning, Step, Reset, SetParam, Configure, SetSpeed, Taken, Stop)
MAX_STEPS = 10_000_000  # one Step command; more is a bug, not a lecture


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(command: object) -> object:
    """Return ``command`` if it is one of COMMANDS with well-typed arguments, else raise CommandError."""
    if type(command) not in COMMANDS:
        known = ", ".join(kind.__name__ for kind in COMMANDS)
        raise CommandError(f"unknown engine command {type(command).__name__}; known: {known}")
    problem = _problem(command)
    if problem:
        raise CommandError(f"engine command {type(command).__name__} refused: {problem}")
    return command


def _problem(command: object) -> str:
    if isinstance(command, Open):
        if not isinstance(command.simulation_class, type):
            return "simulation_class is not a class"
        return _params_problem(command.params)
    if isinstance(command, Configure):
        return _params_problem(command.params)
    if isinstance(command, SetRunning) and not isinstance(command.running, bool):
        return "running must be True or False"
    if isinstance(command, Step) and not (_is_int(command.count) and 0 <= command.count <= MAX_STEPS):
        return f"count must be a whole number from 0 to {MAX_STEPS}"
    if isinstance(command, Reset) and command.seed is not None and not _is_int(command.seed):
        return "seed must be a whole number or None"
    if isinstance(command, SetParam) and not isinstance(command.name, str):
        return "name must be text"
    if isinstance(command, SetSpeed) and command.steps_per_second not in (None, LECTURE):
        speed = command.steps_per_second
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) \
                or speed <= 0:
            return f"steps_per_second must be a positive number, {LECTURE!r} or None"
    return ""


def _params_problem(params: object) -> str:
    if not isinstance(params, dict) or not all(isinstance(name, str) for name in params):
        return "params must map names (text) to values"
    return ""

