"""Typed analytic parameters: each analytic declares its ``params`` as a frozen dataclass.

A rule file's ``params:`` mapping is read into that dataclass when the rule is loaded, so
a misspelt key (``max_kmhh: 900``) or a value of the wrong type (``min_km: far``) fails
``rules validate`` and ``detect`` with the file, the line and the closest known key,
instead of loading silently and leaving the default in force. The analytic then reads
typed attributes (``params_of(rule, TravelParams).max_kmh``) that mypy checks.

A parameter class is a ``@dataclass(frozen=True)`` whose every field has a default (the
value used when the rule file leaves the key out) and a docstring below it, which
docs/rules.md shows. Field types understood here: ``int``, ``float``, ``str``, ``bool``,
``Literal[...]`` of strings, ``X | None`` and ``tuple[X, ...]`` of those (a rule file
writes a list; one bare value is read as a list of one), and ``Mapping[str, Any]`` for
nested records an analytic validates itself. A field whose text must parse (a duration)
names its parser as ``field(metadata={"check": parse})``: it runs at load too.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, Union

from farmhunt.detect.model import Rule
from farmhunt.suggest import closest, kind_of

P = TypeVar("P")


class ParamError(ValueError):
    """A rule's ``params`` do not fit its analytic's parameter class."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class NoParams:
    """An analytic that takes no parameters: any key in ``params:`` is an error."""


def build_params(
    cls: type[P], raw: Mapping[str, Any] | None, at: Callable[[str], str] | None = None
) -> P:
    """``cls`` built from a rule file's ``params`` mapping; ``at(key)`` says where a key is
    (``file:line``). Every problem is collected before raising :class:`ParamError`."""
    where = at or (lambda key: f"params.{key}")
    if raw is not None and not isinstance(raw, Mapping):
        raise ParamError([f"{where('')}: params must be a mapping, got {kind_of(raw, shown=True)}"])
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    names = list(fields)
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        name = str(key)
        if name not in fields:
            close = closest(name, names)
            hint = f" (did you mean {close!r}?)" if close else ""
            known = ", ".join(names) or "none"
            problems.append(f"{where(name)}: unknown parameter {name!r}{hint}; known: {known}")
            continue
        try:
            values[name] = _coerce(value, hints[name])
            check = fields[name].metadata.get("check")
            if check is not None:
                check(values[name])
        except ValueError as exc:
            problems.append(f"{where(name)}: parameter {name!r}: {exc}")
    if problems:
        raise ParamError(problems)
    return cls(**values)


def params_of(rule: Rule, cls: type[P]) -> P:
    """The rule's parameters as ``cls``: built at load time by the loader; a rule made
    in code (tests, library callers) with a plain ``params`` dict is read here."""
    typed = rule.typed_params
    if isinstance(typed, cls):
        return typed
    return build_params(cls, rule.params, lambda key: f"{rule.source}: params.{key}")


# -- types ------------------------------------------------------------------------------


def _coerce(value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        reasons = []
        for inner in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, inner)
            except ValueError as exc:
                reasons.append(str(exc))
        raise ValueError(" or ".join(reasons))
    if origin is tuple:
        items = value if isinstance(value, list | tuple) else [value]
        out = []
        for i, item in enumerate(items):
            try:
                out.append(_coerce(item, args[0]))
            except ValueError as exc:
                raise ValueError(f"item {i + 1}: {exc}") from None
        return tuple(out)
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a mapping, got {kind_of(value, shown=True)}")
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {kind_of(value, shown=True)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {kind_of(value, shown=True)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {kind_of(value, shown=True)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {kind_of(value, shown=True)}")
        return value
    if hint is Any:
        return value
    raise TypeError(f"parameter type {hint!r} is not supported")


# -- for documentation ---------------------------------------------------------------


def type_text(hint: Any) -> str:
    """A parameter type as a rule author reads it (``list of text``, ``number``)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        inner = [type_text(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (" (or null)" if type(None) in args else "")
    if origin is tuple:
        return f"list of {type_text(args[0])}"
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        return "mapping"
    names = {bool: "true/false", int: "whole number", float: "number", str: "text"}
    return names.get(hint, str(hint))


def describe(cls: type) -> list[tuple[str, str, str, str]]:
    """``(name, type, default, docstring)`` of each parameter of ``cls``."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    out = []
    for f in dataclasses.fields(cls):
        default: Any = f.default
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        out.append((f.name, type_text(hints[f.name]), shown_value(default), docs.get(f.name, "")))
    return out


def shown_value(value: Any) -> str:
    """A parameter value as a rule file writes it (YAML flow style)."""
    return _yaml(list(value) if isinstance(value, tuple) else value)


def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    return str(value)


def field_docs(cls: type) -> dict[str, str]:
    """The docstring written below each field of ``cls`` (read from its source)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for stmt, nxt in itertools.pairwise(body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs
