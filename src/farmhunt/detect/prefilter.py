"""A cheap necessary condition for a table's match rules: one regular expression per column.

Evaluating hundreds of rules on every row costs hundreds of string predicates per row
(LOLRMM's process rules alone are 1,500 suffix tests), although almost no row matches
any of them. Before the rules run, rows are narrowed by a condition every match must
satisfy: for each string column the rules test, one regular expression with an
alternative per value (RE2 scans a value once, whatever the number of alternatives).

The condition is derived from each rule's Sigma condition tree: a field compared with
strings needs one of them; ``or`` needs one of its parts' conditions, ``and`` any one
of its parts' (the most selective); ``not``, numbers, regular expressions, CIDR ranges,
existence and keyword searches say nothing, and a rule with nothing to say disables the
narrowing for its table. The narrowing only removes rows no rule can match, so the
rules' results are unchanged; it uses the same lowered values and the same wildcard
translation as the rules, with ``.`` also matching line breaks (a superset).

A rule that is nothing but an ``or`` of plain or ``*``-ended strings (LOLRMM's are) is
also *evaluated* this way (:func:`exact`): the same matches as its compiled predicates,
in an expression a fraction of the size to build, compile and plan.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
)
from sigma.modifiers import SigmaExistsModifier
from sigma.types import SigmaCasedString, SigmaExpansion, SigmaString, SpecialChars

from farmhunt.detect.sigma_ibis import Accessor, SigmaCompiler, _regex, fold_or, sigma_condition

Needs = dict[str, set[str]]
"""Column → regular-expression alternatives over the lowered value (each anchored where
the value is fixed); ``{}`` means nothing can match."""


def necessary(compiler: SigmaCompiler, rule: Any) -> Needs | None:
    """What any row a rule matches must satisfy, or None when nothing can be said."""
    return _need(compiler, sigma_condition(rule))


def _need(compiler: SigmaCompiler, node: Any) -> Needs | None:
    if isinstance(node, ConditionOR):
        merged: Needs = {}
        for arg in node.args:
            part = _need(compiler, arg)
            if part is None:
                return None
            for column, alternatives in part.items():
                merged.setdefault(column, set()).update(alternatives)
        return merged
    if isinstance(node, ConditionAND):
        parts = [p for p in (_need(compiler, a) for a in node.args) if p is not None]
        if not parts:
            return None
        return min(parts, key=lambda p: sum(len(a) for a in p.values()))
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field(compiler, node)
    return None  # NOT, keyword searches and anything new: no condition


def _field(compiler: SigmaCompiler, node: ConditionFieldEqualsValueExpression) -> Needs | None:
    value = node.value
    # an expansion (windash, base64offset) matches when one of its values does
    given = [
        v
        for v in (value.values if isinstance(value, SigmaExpansion) else [value])
        if isinstance(v, SigmaString)
    ]
    if not given or len(given) != (len(value.values) if isinstance(value, SigmaExpansion) else 1):
        return None
    if node.parent is not None and SigmaExistsModifier in getattr(node.parent, "modifiers", []):
        return None
    column = compiler.column(node.field)
    if compiler.types[column] != "string":
        return None
    values = [e for v in given for e in (compiler.expand(v) if v.contains_placeholder() else [v])]
    return {column: {_alternative(v) for v in values}} if values else {}


def _alternative(value: SigmaString) -> str:
    r"""The value as an alternative over a lowered column, anchored where it is fixed.

    ``*\\anydesk.exe`` becomes ``\\anydesk\.exe$``, not ``^.*\\anydesk\.exe$``: RE2 runs
    an alternation of hundreds of leading ``.*`` hundreds of times slower
    (docs/performance.md). Memoized by the value's parts: the prefilter and
    the per-rule expressions both ask for every value of every rule.
    """
    key = tuple(value.s)
    found = _ALTERNATIVES.get(key)
    if found is None:
        found = _ALTERNATIVES[key] = _make_alternative(value)
    return found


_ALTERNATIVES: dict[tuple[Any, ...], str] = {}


def _make_alternative(value: SigmaString) -> str:
    pattern = "^" + _regex(value.lower().to_regex()) + "$"
    if pattern.startswith("^.*"):
        pattern = pattern[3:]
    if pattern.endswith(".*$") and not pattern.endswith("\\.*$"):
        pattern = pattern[:-3]
    return pattern


def prefilter(needs: Needs, get: Accessor) -> ir.BooleanValue:
    """One regular-expression test per column, OR-ed; NULL (no value) never passes."""
    parts = [
        get(column, True).re_search("(?s)(?:" + "|".join(sorted(alternatives)) + ")")
        for column, alternatives in sorted(needs.items())
    ]
    return fold_or(parts)


def table_needs(compiler: SigmaCompiler, rules: list[Any]) -> Needs | None:
    """The union of every rule's condition, or None if any rule has none."""
    merged: Needs = {}
    for rule in rules:
        part = necessary(compiler, rule)
        if part is None:
            return None
        for column, alternatives in part.items():
            merged.setdefault(column, set()).update(alternatives)
    return merged


def exact(compiler: SigmaCompiler, rule: Any) -> Needs | None:
    """The rule itself as one regular expression per column, when it is an ``or`` of
    plain or ``*``-ended string values (LOLRMM's rules are): the same matches as the
    compiled rule, in a fraction of the expression (hundreds of rules otherwise cost
    seconds to build, compile and plan). None for any other rule."""
    return _exact(compiler, sigma_condition(rule))


def _exact(compiler: SigmaCompiler, node: Any) -> Needs | None:
    if isinstance(node, ConditionOR):
        merged: Needs = {}
        for arg in node.args:
            part = _exact(compiler, arg)
            if part is None:
                return None
            for column, alternatives in part.items():
                merged.setdefault(column, set()).update(alternatives)
        return merged
    if not isinstance(node, ConditionFieldEqualsValueExpression):
        return None
    found = _field(compiler, node)
    value = node.value
    if not found or not isinstance(value, SigmaString) or isinstance(value, SigmaCasedString):
        return None
    values = compiler.expand(value) if value.contains_placeholder() else [value]
    if not all(_simple(v) for v in values):
        return None
    return found


def _simple(value: SigmaString) -> bool:
    """Plain, or one text with ``*`` only at its ends: its alternative matches exactly
    what the compiled rule matches (equality, prefix, suffix or substring, across line
    breaks; RE2's ``$`` is the end of the value)."""
    parts = list(value.s)
    specials = [p for p in parts if not isinstance(p, str)]
    texts = [p for p in parts if isinstance(p, str)]
    if not specials:
        return True
    if any(p != SpecialChars.WILDCARD_MULTI for p in specials) or len(texts) != 1:
        return False
    return len(specials) == int(parts[0] == SpecialChars.WILDCARD_MULTI) + int(
        parts[-1] == SpecialChars.WILDCARD_MULTI
    )


def match_expr(needs: Needs, get: Accessor) -> ir.BooleanValue:
    """An exact rule (:func:`exact`) as an expression: false, never NULL, without a value."""
    return fold_or(
        [
            get(column, True)
            .re_search("(?:" + "|".join(sorted(alternatives)) + ")")
            .fill_null(False)
            for column, alternatives in sorted(needs.items())
        ]
    )
