"""Analytics: named Python functions over the store, for what needs more than a query.

An analytic receives the run's :class:`~farmhunt.detect.context.Context` and its rule
(metadata and ``params``) and returns findings. Modules in this package register their
functions with :func:`analytic`; a rule file names one with ``analytic: <name>``.
Each analytic declares its parameters as a frozen dataclass (``params=``): the loader
reads a rule's ``params:`` into it, so a misspelt or mistyped key fails at load.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

from farmhunt.detect.context import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import NoParams, ParamError, build_params

AnalyticFn = Callable[[Context, Rule], list[Finding]]
_REGISTRY: dict[str, AnalyticFn] = {}
_PARAMS: dict[str, type] = {}


def analytic(name: str, params: type = NoParams) -> Callable[[AnalyticFn], AnalyticFn]:
    """Register ``fn`` under ``name`` (a rule's ``analytic:`` value), with the frozen
    dataclass its rules' ``params:`` are read into (see :mod:`farmhunt.detect.params`)."""

    def register(fn: AnalyticFn) -> AnalyticFn:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise RuntimeError(f"two analytics are called {name!r}")
        _REGISTRY[name] = fn
        _PARAMS[name] = params
        return fn

    return register


@cache
def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def registered() -> set[str]:
    _load_all()
    return set(_REGISTRY)


def params_class(name: str) -> type | None:
    """The parameter class of the analytic called ``name`` (None: no such analytic)."""
    _load_all()
    return _PARAMS.get(name)


def run_analytic(ctx: Context, rule: Rule) -> list[Finding]:
    _load_all()
    return _REGISTRY[rule.analytic or ""](ctx, rule)


def with_params(rule: Rule, at: Callable[[str], str], errors: list[str]) -> Rule:
    """``rule`` with its ``params`` read into its analytic's class, at load; problems are
    appended to ``errors`` (the loader's list, reported with every other problem of the
    file). An unknown analytic is reported apart, by the loader.

    It sits beside the registry so that :mod:`~farmhunt.detect.params`, which every
    analytic imports, need not import the analytics back."""
    cls = params_class(rule.analytic or "")
    if cls is not None:
        try:
            typed: object = build_params(cls, rule.params, at)
        except ParamError as exc:
            errors.extend(exc.problems)
        else:
            # the rule is frozen; typed_params is its one field not set by __init__
            object.__setattr__(rule, "typed_params", typed)
    return rule
