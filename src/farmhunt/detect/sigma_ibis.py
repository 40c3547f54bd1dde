"""Compiling a Sigma detection (as pySigma parses it) into one Ibis boolean expression.

Sigma matching is case-insensitive for strings (the specification), so both sides are
lowered; wildcards become starts-with/ends-with/contains where the pattern allows and
an anchored regular expression otherwise (never LIKE, whose ``_`` would match any
character of a file name such as ``remote_host.exe``). CIDR values expand to address
prefixes, which every engine can compare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.modifiers import SigmaExistsModifier
from sigma.rule import SigmaRule
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
    TimestampPart,
)

from farmhunt.detect.catalogs import default_placeholders
from farmhunt.detect.fieldmap import SIGMA_VALUES, column_for, stored_value, translates
from farmhunt.detect.logsources import rows_of
from farmhunt.detect.virtual import virtual_columns

Accessor = Callable[[str, bool], ir.Value]
"""(column, lowered) → the column expression, lowered to lower case when asked."""


class CompileError(ValueError):
    """A rule that cannot be compiled against the store (unknown field, bad value).

    ``field`` names the Sigma field being compiled, so the loader can point at its line.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def sigma_condition(rule: SigmaRule) -> Any:
    """The parsed condition tree of a Sigma rule (its first condition)."""
    conditions = rule.detection.parsed_condition
    if len(conditions) != 1:
        raise CompileError("rules with several conditions are not supported; split them")
    return conditions[0].parsed


def fields_used(rule: SigmaRule) -> set[str]:
    """Every Sigma field name a rule's condition refers to."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ConditionFieldEqualsValueExpression):
            found.add(node.field)
            if isinstance(node.value, SigmaFieldReference):
                found.add(node.value.field)
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(sigma_condition(rule))
    return found


def placeholders_used(rule: SigmaRule) -> set[str]:
    """Names of the ``%placeholder%`` values a rule's condition uses."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        value = getattr(node, "value", None)
        if isinstance(value, SigmaString):
            found.update(p.name for p in value.s if isinstance(p, Placeholder))
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(sigma_condition(rule))
    return found


def recoded_value_errors(rule: SigmaRule, table: str) -> list[str]:
    """Values a rule compares a recoded field with (:data:`SIGMA_VALUES`, such as
    Sysmon's ``Initiated``) that the field does not take, as messages."""
    problems: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, ConditionFieldEqualsValueExpression) and translates(table, node.field):
            value = node.value
            text = str(value.boolean) if isinstance(value, SigmaBool) else str(value)
            special = isinstance(value, SigmaString) and value.contains_special()
            if special or stored_value(table, node.field, text) is None:
                known = ", ".join(SIGMA_VALUES[table][node.field])
                problems.append(f"field {node.field!r} takes one of {known}, not {text!r}")
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(sigma_condition(rule))
    return problems


class SigmaCompiler:
    """Compiles conditions for one table, whose columns and types are known."""

    def __init__(
        self,
        table: str,
        column_types: dict[str, str],
        placeholders: Mapping[str, Sequence[str]] | None = None,
        *,
        lenient: bool = True,
    ) -> None:
        self.table = table
        self.stored = set(column_types)
        self.types = {**column_types, **virtual_columns(self.stored)}
        self.columns = set(self.types)
        self.placeholders = placeholders if placeholders is not None else default_placeholders()
        self.lenient = lenient

    def column(self, field: str) -> str:
        found = column_for(self.table, field, self.stored, self.lenient)
        if found is None:
            raise CompileError(f"field {field!r} has no column in table {self.table}")
        if found not in self.types:  # unmapped.<Field>: text from the unmapped object
            # engines' column names ignore case: one spelling per name (the first seen)
            same = next((c for c in self.types if c.lower() == found.lower()), None)
            if same is not None:
                return same
            self.types[found] = "string"
        return found

    def compile(self, rule: SigmaRule, get: Accessor) -> ir.BooleanValue:
        return self.restrict(rule, self._node(sigma_condition(rule), get), get)

    def restrict(self, rule: SigmaRule, match: ir.BooleanValue, get: Accessor) -> ir.BooleanValue:
        """``match`` limited to the rows of the rule's log source (a Zeek log, a Windows
        channel) when the table holds other rows too (detect/logsources.py)."""
        rows = rows_of(rule.logsource)
        if rows is None or rows[0] not in self.columns:
            return match
        return match & (get(rows[0], True) == rows[1].lower()).fill_null(False)

    def _node(self, node: Any, get: Accessor) -> ir.BooleanValue:
        if isinstance(node, ConditionAND):
            return _fold([self._node(a, get) for a in node.args], "and")
        if isinstance(node, ConditionOR):
            return self._or(node.args, get)
        if isinstance(node, ConditionNOT):
            # NULL-safe: a missing value does not match, so NOT(match) is true for it.
            return ~self._node(node.args[0], get).fill_null(False)
        if isinstance(node, ConditionFieldEqualsValueExpression):
            try:
                return self._field(node, get).fill_null(False)
            except CompileError as exc:
                exc.field = exc.field or node.field
                raise
        if isinstance(node, ConditionValueExpression):
            return self._keyword(node.value, get).fill_null(False)
        raise CompileError(f"unsupported condition element {type(node).__name__}")

    def _keyword(self, value: Any, get: Accessor) -> ir.BooleanValue:
        if not isinstance(value, SigmaString):
            raise CompileError(f"keyword search needs a string, not {type(value).__name__}")
        raw = get("raw_data", True)
        plain = plain_text(value).lower() if not value.contains_special() else None
        if plain is not None:
            return raw.contains(plain)
        return _string_match(raw, value)

    def expand(self, value: SigmaString) -> list[SigmaString]:
        """A value with ``%placeholder%`` parts, once per catalog entry (wildcards kept)."""
        names = [p.name for p in value.s if isinstance(p, Placeholder)]
        for name in names:
            if name not in self.placeholders:
                known = ", ".join(sorted(self.placeholders))
                raise CompileError(f"unknown placeholder %{name}% (known: {known})")
        results = [str(value)]
        for name in names:
            results = [
                r.replace(f"%{name}%", entry) for r in results for entry in self.placeholders[name]
            ]
        return [SigmaString(r) for r in results]

    def _field(self, node: ConditionFieldEqualsValueExpression, get: Accessor) -> ir.BooleanValue:
        name = self.column(node.field)
        value = node.value
        if translates(self.table, node.field) and isinstance(value, SigmaString | SigmaBool):
            text = str(value.boolean) if isinstance(value, SigmaBool) else plain_text(value)
            stored = stored_value(self.table, node.field, text)
            if stored is None or (isinstance(value, SigmaString) and value.contains_special()):
                known = ", ".join(SIGMA_VALUES[self.table][node.field])
                raise CompileError(f"field {node.field!r} takes one of {known}, not {text!r}")
            return get(name, False) == stored
        if isinstance(value, SigmaString) and value.contains_placeholder():
            expanded = self.expand(value)
            if not expanded:
                return ibis.literal(False)
            plain = [v for v in expanded if not v.contains_special()]
            special = [v for v in expanded if v.contains_special()]
            if len(special) > IN_LIST_LIMIT and self.types[name] == "string":
                parts = [any_pattern(get(name, True), special)]
            else:
                parts = [self._value(node, name, v, get) for v in special]
            if plain and self.types[name] == "string":
                parts.append(in_values(get(name, True), [plain_text(v).lower() for v in plain]))
            else:
                parts += [self._value(node, name, v, get) for v in plain]
            return _fold(parts, "or")
        return self._value(node, name, value, get)

    def _or(self, args: list[Any], get: Accessor) -> ir.BooleanValue:
        """OR, with plain string equalities on one string column merged into one IN."""
        plain: dict[str, list[str]] = {}
        rest = []
        for arg in args:
            value = getattr(arg, "value", None)
            if (
                isinstance(arg, ConditionFieldEqualsValueExpression)
                and isinstance(value, SigmaString)
                and not isinstance(value, SigmaCasedString)
                and not value.contains_special()
                and not value.contains_placeholder()
            ):
                name = self.column(arg.field)
                if self.types[name] == "string":
                    plain.setdefault(name, []).append(plain_text(value).lower())
                    continue
            rest.append(self._node(arg, get))
        merged = [
            in_values(get(name, True), values).fill_null(False) for name, values in plain.items()
        ]
        return _fold(merged + rest, "or")

    def _value(
        self, node: ConditionFieldEqualsValueExpression, name: str, value: Any, get: Accessor
    ) -> ir.BooleanValue:
        kind = self.types[name]
        if isinstance(value, SigmaExists) or (
            node.parent is not None and SigmaExistsModifier in getattr(node.parent, "modifiers", [])
        ):
            exists = value.exists if isinstance(value, SigmaExists) else True
            col = get(name, False)
            return col.notnull() if exists else col.isnull()
        if isinstance(value, SigmaNull):
            return get(name, False).isnull()
        if isinstance(value, SigmaExpansion):
            # windash, base64offset: the expanded values are OR-ed, whatever links the
            # values around them (pySigma's definition of an expansion)
            return _fold([self._value(node, name, v, get) for v in value.values], "or")
        if isinstance(value, SigmaFieldReference):
            other = self.column(value.field)
            return get(name, kind == "string") == get(other, self.types[other] == "string")
        if kind == "strings":
            return self._list_field(name, value, get)
        if isinstance(value, SigmaTimestampPart):
            if kind != "timestamp":
                raise CompileError(
                    f"{node.field} is not a time; it has no {value.timestamp_part.name.lower()}"
                )
            return _time_part(get(name, False), value.timestamp_part) == value.number
        if isinstance(value, SigmaCompareExpression):
            return _compare(get(name, False), value)
        if isinstance(value, SigmaBool):
            if kind == "bool":
                return get(name, False) == value.boolean
            return get(name, True) == str(value.boolean).lower()
        if isinstance(value, SigmaNumber):
            if kind in ("int", "bigint", "float"):
                return get(name, False) == value.number
            return get(name, True) == str(value.number)
        if isinstance(value, SigmaCIDRExpression):
            prefixes = value.expand(wildcard="*")
            col = get(name, True)
            return _fold([_string_match(col, SigmaString(p)) for p in prefixes], "or")
        if isinstance(value, SigmaRegularExpression):
            return get(name, False).cast("string").re_search(_regex(value))
        if isinstance(value, SigmaString):
            if kind in ("int", "bigint", "float") and not value.contains_special():
                try:
                    return get(name, False) == float(plain_text(value))
                except ValueError:
                    raise CompileError(
                        f"{name} is numeric but the rule compares it with {plain_text(value)!r}"
                    ) from None
            if isinstance(value, SigmaCasedString):
                return _string_match(get(name, False).cast("string"), value, lowered=False)
            col = (
                get(name, True)
                if kind in ("string", "json")
                else get(name, False).cast("string").lower()
            )
            return _string_match(col, value)
        raise CompileError(f"unsupported value type {type(value).__name__} for {node.field}")

    def _list_field(self, name: str, value: Any, get: Accessor) -> ir.BooleanValue:
        """A list column matches when any element does.

        The elements are joined with a separator no log value contains and matched as
        one string (no lambdas: every engine has array join)."""
        if not isinstance(value, SigmaString):
            raise CompileError(f"{name} is a list of strings; compare it with strings")
        joined = _SEP + get(name, False).join(_SEP).lower() + _SEP
        if not value.contains_special():
            return joined.contains(_SEP + plain_text(value).lower() + _SEP)
        pieces = []
        for part in value.s:
            if part == SpecialChars.WILDCARD_MULTI:
                pieces.append(r"[^\x1f]*")
            elif part == SpecialChars.WILDCARD_SINGLE:
                pieces.append(r"[^\x1f]")
            else:
                pieces.append(_re_escape(str(part).lower()))
        return joined.re_search(r"\x1f" + "".join(pieces) + r"\x1f")


_SEP = "\x1f"


def _re_escape(text: str) -> str:
    import re

    return re.escape(text)


def _fold(parts: list[ir.BooleanValue], how: str) -> ir.BooleanValue:
    """AND/OR of many parts as a balanced tree: a rule with hundreds of alternatives
    must not build an expression hundreds of levels deep."""
    if not parts:
        return ibis.literal(how == "and")
    while len(parts) > 1:
        paired = []
        for i in range(0, len(parts) - 1, 2):
            a, b = parts[i], parts[i + 1]
            paired.append((a & b) if how == "and" else (a | b))
        if len(parts) % 2:
            paired.append(parts[-1])
        parts = paired
    return parts[0]


IN_LIST_LIMIT = 32
"""Longer value lists (catalog placeholders expand to hundreds) are one array literal:
Ibis builds and compiles a node per ``isin`` value, which costs a second per rule."""


def in_values(col: ir.Value, values: Sequence[str]) -> ir.BooleanValue:
    """Whether a (lowered) string column equals one of ``values``; NULL for NULL."""
    unique = sorted(set(values))
    if len(unique) <= IN_LIST_LIMIT:
        return col.isin(unique)
    return ibis.literal(unique, type="array<string>").contains(col)


def any_pattern(col: ir.StringValue, values: Sequence[SigmaString]) -> ir.BooleanValue:
    """Whether a lowered string column matches one of many wildcard values: one regular
    expression with an alternative per value, not hundreds of predicates."""
    alternatives = sorted({_regex(v.lower().to_regex()) for v in values})
    return col.re_search("(?s)^(?:" + "|".join(alternatives) + ")$")


def fold_or(parts: list[ir.BooleanValue]) -> ir.BooleanValue:
    return _fold(parts, "or")


def plain_text(value: SigmaString) -> str:
    r"""The text a value without wildcards stands for: ``\?`` in a rule is a literal
    ``?`` (``to_plain`` would give the escaped form back, which no log holds)."""
    return "".join(p for p in value.s if isinstance(p, str))


def _fold_case(text: str, lowered: bool) -> str:
    return text.lower() if lowered else text


def _string_match(
    col: ir.StringValue, value: SigmaString, *, lowered: bool = True
) -> ir.BooleanValue:
    """Wildcard match of a column, case-insensitive when ``lowered`` (the column is
    then already lowered); a ``|cased`` value compares as written."""
    parts = list(value.s)
    multi, single = SpecialChars.WILDCARD_MULTI, SpecialChars.WILDCARD_SINGLE
    if not value.contains_special():
        return col == _fold_case(plain_text(value), lowered)
    texts = [p for p in parts if isinstance(p, str)]
    specials = [p for p in parts if not isinstance(p, str)]
    if single not in specials and len(texts) == 1:
        text = _fold_case(texts[0], lowered)
        lead, trail = parts[0] == multi, parts[-1] == multi
        inner = len(specials) == int(lead) + int(trail)
        if inner and lead and trail:
            return col.contains(text)
        if inner and trail:
            return col.startswith(text)
        if inner and lead:
            return col.endswith(text)
    if all(p == multi for p in parts):
        return col.notnull()
    pattern = (value.lower() if lowered else value).to_regex()
    return col.re_search("(?s)^" + _regex(pattern) + "$")


def _regex(value: SigmaRegularExpression) -> str:
    """The rule's regular expression as written, with Sigma's i/m/s flags inline."""
    regexp = value.regexp
    text = getattr(regexp, "original", None) or str(regexp)
    flags = "".join(sorted(f.name[0].lower() for f in value.flags)) if value.flags else ""
    prefix = f"(?{flags.replace('d', 's')})" if flags else ""
    return prefix + text


def _time_part(col: ir.TimestampValue, part: TimestampPart) -> ir.IntegerValue:
    """The part of a time the ``|minute``, ``|hour`` … modifiers compare."""
    if part == TimestampPart.MINUTE:
        return col.minute()
    if part == TimestampPart.HOUR:
        return col.hour()
    if part == TimestampPart.DAY:
        return col.day()
    if part == TimestampPart.WEEK:
        return col.week_of_year()
    if part == TimestampPart.MONTH:
        return col.month()
    return col.year()


def _compare(col: ir.Value, value: SigmaCompareExpression) -> ir.BooleanValue:
    op = value.op.name
    number = value.number.number
    if op == "LT":
        return col < number
    if op == "LTE":
        return col <= number
    if op == "GT":
        return col > number
    return col >= number
