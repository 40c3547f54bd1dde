"""Analytics: named Python functions over the store, for what needs more than a query.

An analytic receives the run's :class:`~farmhunt.detect.engine.Context` and its rule
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

from farmhunt.detect.engine import Context
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.params import NoParams

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
