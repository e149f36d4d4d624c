"""Parameter specifications: one place that says each parameter's type, range, default and meaning.

Controls, the command line and scenario files all validate through ``ParamSpec.validate`` so a
bad value gets the same clear message wherever it comes from.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


class ParameterError(ValueError):
    """A parameter value that is refused; the message names the parameter and its range."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a simulation."""

    name: str
    kind: type
    default: object
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    live: bool = True  # False: takes effect on the next reset
    log_scale: bool = False
    flag: str = ""  # command-line name when it differs from the parameter name

    @property
    def cli_name(self) -> str:
        """The command-line option: ``--no-NAME`` for switches that default on, else ``--NAME``."""
        base = (self.flag or self.name).replace("_", "-")
        if self.kind is bool and self.default:
            return f"--no-{base}"
        return f"--{base}"

    def range_text(self) -> str:
        """The allowed values in words, for error messages."""
        if self.kind is bool:
            return "true or false"
        if self.kind is int:  # whole numbers in full: a seed's top is 2147483647, not 2.14748e+09
            return f"a whole number from {int(self.minimum)} to {int(self.maximum)}"
        return f"a number from {self.minimum:g} to {self.maximum:g}"

    def validate(self, value: object) -> object:
        """Return ``value`` converted to this parameter's type, or raise ParameterError."""
        if self.kind is bool:
            if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's bool too
                return bool(value)
            raise ParameterError(f"{self.name} must be {self.range_text()}, not {value!r}")
        # numbers.Real admits numpy's scalars as well as Python's int and float.
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"{self.name} must be {self.range_text()}, not {value!r}")
        if self.kind is int:
            if not isinstance(value, numbers.Integral) and not float(value).is_integer():
                raise ParameterError(f"{self.name} must be {self.range_text()}, not {value!r}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(f"{self.name} must be {self.range_text()}, not {value!r}")
        if not (self.minimum <= value <= self.maximum):
            raise ParameterError(f"{self.name} must be {self.range_text()}, not {value!r}")
        return value


def spec_table(specs: tuple[ParamSpec, ...]) -> dict[str, ParamSpec]:
    """Specs by name."""
    return {spec.name: spec for spec in specs}


def validate_params(specs: tuple[ParamSpec, ...], values: dict[str, object]) -> dict[str, object]:
    """Defaults overridden by ``values``, each validated; unknown names are refused."""
    table = spec_table(specs)
    unknown = sorted(set(values) - set(table))
    if unknown:
        raise ParameterError(
            f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(table))}"
        )
    merged = {spec.name: spec.default for spec in specs}
    for name, value in values.items():
        merged[name] = table[name].validate(value)
    return merged
