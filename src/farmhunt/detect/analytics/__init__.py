"""Analytics: named Python functions over the store, for what needs more than a query.

An analytic receives the run's :class:`~farmhunt.detect.engine.Context` and its rule
(metadata and ``params``) and returns findings. Modules in this package register their
functions with :func:`analytic`; a rule file names one with ``analytic: <name>``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

from farmhunt.detect.engine import Context
from farmhunt.detect.model import Finding, Rule

AnalyticFn = Callable[[Context, Rule], list[Finding]]
_REGISTRY: dict[str, AnalyticFn] = {}


def analytic(name: str) -> Callable[[AnalyticFn], AnalyticFn]:
    """Register ``fn`` under ``name`` (a rule's ``analytic:`` value)."""

    def register(fn: AnalyticFn) -> AnalyticFn:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise RuntimeError(f"two analytics are called {name!r}")
        _REGISTRY[name] = fn
        return fn

    return register


@cache
def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def registered() -> set[str]:
    _load_all()
    return set(_REGISTRY)


def run_analytic(ctx: Context, rule: Rule) -> list[Finding]:
    _load_all()
    return _REGISTRY[rule.analytic or ""](ctx, rule)
