"""One declaration per setting: default, constraint and help, used by the config, models and CLI.

A :class:`Param` is declared once, where the setting belongs (a config section or a model), and
everything else is derived from it: the frozen config's dataclass field (:meth:`Param.field`), the
validation message that names the field (``Config value 'fetch.rate': expected > 0, got -1``), and
the command line's option with its help and parser (:func:`parse_value`).

Constraints are small named callables returning ``None`` when a value is fine and otherwise the
reason, so that every message has the same shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Param:
    """A setting: its default, a constraint, a help text.

    Attributes
    ----------
    default
        The value when nothing else is given (tuples, never lists: configs are frozen).
    help : str
        One line, shown by ``build.py --help`` and on the site's model details.
    check : callable, optional
        ``check(value) -> None | reason``.
    follows : str, optional
        A dotted :class:`~sitegen.config.BuildConfig` field this setting takes when left at
        ``None`` (a model's list length follows ``neighbours.k``).
    kind : type, optional
        The type of a value, where the default (``None``) does not tell.
    cli : bool
        Whether the command line offers it as an option.
    """

    default: Any
    help: str
    check: Check | None = None
    follows: str | None = None
    kind: type | None = None
    cli: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.default, (list, dict, set)):
            raise TypeError("use tuples for defaults: settings are frozen")
        problem = self.problem(self.default)
        if problem:
            raise TypeError(f"default {self.default!r} fails its own check: {problem}")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or ``None``; ``None`` is always allowed for ``follows``."""
        if value is None and (self.follows or self.default is None):
            return None
        if self.check is None:
            return None
        try:
            return self.check(value)
        except TypeError:
            return f"expected a value like {self.default!r}, got {value!r}"

    def field(self) -> Any:
        """A dataclass field carrying this declaration in its metadata."""
        return dataclasses.field(default=self.default, metadata={"param": self, "help": self.help})


def param_of(field: dataclasses.Field) -> Param | None:
    """The :class:`Param` behind a dataclass field, if it was declared with one."""
    return field.metadata.get("param")


# -- constraints --------------------------------------------------------------------------------


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def positive(v: Any) -> str | None:
    return None if _number(v) and v > 0 else f"expected > 0, got {v!r}"


def at_least(low: float) -> Check:
    def check(v: Any) -> str | None:
        return None if _number(v) and v >= low else f"expected >= {low}, got {v!r}"

    return check


def between(low: float, high: float, *, open_low: bool = False, open_high: bool = False) -> Check:
    """``low <= v <= high``, either end open on request."""
    def check(v: Any) -> str | None:
        ok = _number(v) and (v > low if open_low else v >= low) and (v < high if open_high else v <= high)
        if ok:
            return None
        if open_low and open_high:
            return f"expected between {low} and {high} (exclusive), got {v!r}"
        if open_high:
            return f"expected a value in [{low}, {high}), got {v!r}"
        return f"expected between {low} and {high}, got {v!r}"

    return check


def one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else f"expected one of {', '.join(choices)}; got {v!r}"

    return check


def subset_of(choices: tuple[str, ...], *, nonempty: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if nonempty and not len(v):
            return "expected at least one value"
        bad = [x for x in v if x not in choices]
        return None if not bad else f"unknown {', '.join(map(repr, bad))}; choose from {', '.join(choices)}"

    return check


def nonempty(v: Any) -> str | None:
    return None if len(v) else "expected at least one value"


def each(check: Check, *, allow_empty: bool = False) -> Check:
    """Every item of a tuple passes ``check`` (and the tuple is not empty unless allowed)."""
    def run(v: Any) -> str | None:
        if not isinstance(v, tuple):
            return f"expected a list of values, got {v!r}"
        if not v and not allow_empty:
            return "expected at least one value"
        for item in v:
            problem = check(item)
            if problem:
                return f"{problem} (in {v!r})"
        return None

    return run


# -- the command line ---------------------------------------------------------------------------


def parse_value(param: Param, text: str) -> Any:
    """Parse a command-line string into the type of ``param``'s default.

    Tuples are comma-separated; ``none`` gives ``None`` for a setting that may be unset.

    Raises
    ------
    ValueError
        With a message naming what was expected.
    """
    default = param.default
    if text.strip().lower() == "none" and (default is None or param.follows):
        return None
    if isinstance(default, tuple):
        items = [x.strip() for x in text.split(",") if x.strip()]
        kind = type(default[0]) if default else str
        return tuple(_scalar(kind, x) for x in items)
    return _scalar(param.kind or (float if default is None else type(default)), text)


def _scalar(kind: type, text: str) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"expected {'a whole number' if kind is int else 'a number' if kind is float else 'text'}, "
                         f"got {text!r}") from None
