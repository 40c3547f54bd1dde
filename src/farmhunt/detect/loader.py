"""Loading and validating rule files: every error at once, each naming file and line.

A farmhunt rule file holds farmhunt's metadata (``id``, ``kind``, ``category``,
``weight`` …), the Sigma body for match and correlation rules, and inline tests. A plain
Sigma file (SigmaHQ, LOLRMM) loads too: its metadata is derived from Sigma's own fields.

Every farmhunt rule names the ATT&CK techniques it serves (``attack: [T1219.002]``). Where
none fits, the rule says so explicitly, with the reason shown in docs/rules.md::

    attack: none
    attack_none_reason: ATT&CK has no technique for faking a user's presence
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from farmhunt.detect.fieldmap import table_for_logsource
from farmhunt.detect.logsources import table_for_rule
from farmhunt.detect.model import CATEGORIES, FBI_GUIDANCE, SEVERITIES, Rule, RuleTest
from farmhunt.detect.sigma_ibis import (
    CompileError,
    SigmaCompiler,
    fields_used,
    placeholders_used,
    recoded_value_errors,
)
from farmhunt.enrich.indicators import IndicatorError, indicators_from_lists
from farmhunt.schema import DERIVED_TABLES, STORE_TABLES
from farmhunt.suggest import closest
from farmhunt.yamlsafe import BoundedLoader, load_all

FARMHUNT_KEYS = {
    "id",
    "kind",
    "title",
    "description",
    "severity",
    "weight",
    "category",
    "fbi_guidance",
    "attack",
    "false_positives",
    "triage",
    "tests",
    "logsource",
    "detection",
    "correlation",
    "analytic",
    "params",
    "subject",
    "enabled",
    "references",
    "attack_none_reason",
}
LEVEL_WEIGHTS = {"informational": 5.0, "low": 10.0, "medium": 20.0, "high": 35.0, "critical": 50.0}


class RuleError(ValueError):
    """One or more rule files are invalid; ``errors`` lists them all."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Plain Sigma rules for log sources the store has no table for (file events …)."""
    unreadable: list[str] = field(default_factory=list)
    """Plain Sigma rules pySigma could not parse (``file:line: why``): a SigmaHQ or
    LOLRMM folder loads without them rather than not at all. Errors in farmhunt's own
    rule files are never skipped: they fail the load."""
    unsupported: list[str] = field(default_factory=list)
    """Plain Sigma rules using a construct the compiler does not support, or that
    failed to compile or run (``file:line: why``): skipped, the others run."""

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id or rule.name == rule_id:
                return rule
        raise KeyError(rule_id)

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind and r.enabled]


class _LineLoader(BoundedLoader):
    """A YAML loader that remembers where every mapping starts (``__line__``) and the
    line of each of its keys (``__keys__``), so an error can name the offending key's
    line rather than the start of the rule."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__keys__"] = {
        str(key.value): key.start_mark.line + 1
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_POSITIONS = ("__line__", "__keys__")


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in _POSITIONS}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _at(where: str, doc: Any, *keys: str) -> str:
    """``file:line`` of the deepest of ``keys`` (a path into ``doc``) that the file has,
    else of the rule (``where``)."""
    file, _, line = where.rpartition(":")
    node = doc
    for key in keys:
        if not isinstance(node, dict):
            break
        line = str(node.get("__keys__", {}).get(key, line))
        node = node.get(key)
    return f"{file}:{line}"


def _field_line(where: str, detection: Any, field: str) -> str:
    """``file:line`` of the first key in a Sigma ``detection`` naming ``field`` (with
    or without modifiers), searching selections and their lists of maps."""
    file, _, line = where.rpartition(":")
    found: list[int] = []

    def walk(node: Any) -> None:
        if found:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _POSITIONS:
                    continue
                if str(key).split("|", 1)[0] == field:
                    found.append(node.get("__keys__", {}).get(key, int(line)))
                    return
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(detection)
    return f"{file}:{found[0]}" if found else where


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("farmhunt.rules")))


def _shown(path: Path, builtin: Path) -> str:
    """How a rule file is named in messages and findings: built-in rules relative to the
    package (``rules/endpoint/x.yml``), others as given."""
    try:
        return "rules/" + path.resolve().relative_to(builtin.resolve()).as_posix()
    except ValueError:
        return str(path)


def rule_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        elif path.exists():
            files.append(path)
        else:
            raise RuleError([f"{path}: no such file or directory"])
    return files


def load_rules(paths: Iterable[Path] | None = None, *, check_analytics: bool = True) -> RuleSet:
    """Load every rule under ``paths`` (default: the built-in library); raise RuleError
    listing every problem found, in every file."""
    errors: list[str] = []
    docs: list[tuple[str, dict[str, Any]]] = []
    builtin = builtin_rules_dir()
    for file in rule_files(list(paths) if paths is not None else [builtin]):
        shown = _shown(file, builtin)
        try:
            loaded = load_all(file.read_text(encoding="utf-8"), _LineLoader)
        except yaml.YAMLError as exc:
            errors.append(f"{shown}: YAML error: {exc}")
            continue
        except UnicodeDecodeError as exc:
            errors.append(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        except OSError as exc:
            errors.append(f"{shown}: cannot read: {exc.strerror}")
            continue
        if all(doc is None for doc in loaded):
            # An empty file (or one only of comments) most often is a rule lost in a
            # copy or a merge; loading nothing from it in silence hides that.
            errors.append(f"{shown}: the file holds no rule (it is empty)")
            continue
        for doc in loaded:
            if isinstance(doc, dict):
                docs.append((shown, doc))
            elif doc is not None:
                errors.append(f"{shown}: a rule document must be a mapping")
    ruleset = RuleSet()
    sigma_rules: dict[str, SigmaRule] = {}
    pending_correlations: list[tuple[str, dict[str, Any]]] = []
    for path, doc in docs:
        where = f"{path}:{doc.get('__line__', 1)}"
        if doc.get("kind") == "correlation" or ("correlation" in doc and "kind" not in doc):
            pending_correlations.append((where, doc))
            continue
        try:
            if "kind" in doc:
                rule = _farmhunt_rule(where, doc, errors)
            else:
                rule = _plain_sigma_rule(where, doc, errors, ruleset)
        except (SigmaError, CompileError, KeyError, TypeError, ValueError) as exc:
            if "kind" in doc:
                errors.append(f"{where}: {exc}")
            else:
                ruleset.unreadable.append(f"{where}: {_one_line(exc)}")
            continue
        if rule is None:
            continue
        ruleset.rules.append(rule)
        if rule.kind == "match":
            sigma_rules[rule.name] = rule.sigma
    for where, doc in pending_correlations:
        try:
            rule = _correlation_rule(where, doc, sigma_rules, errors, ruleset)
        except (SigmaError, KeyError, TypeError, ValueError) as exc:
            if "kind" in doc:
                errors.append(f"{where}: {exc}")
            else:
                ruleset.unreadable.append(f"{where}: {_one_line(exc)}")
            continue
        if rule is not None:
            ruleset.rules.append(rule)
    _check_unique(ruleset, errors)
    if check_analytics:
        from farmhunt.detect.analytics import registered

        for rule in ruleset.of_kind("analytic"):
            if rule.analytic not in registered():
                close = closest(rule.analytic or "", registered())
                hint = f" (did you mean {close!r}?)" if close else ""
                errors.append(f"{rule.source}: unknown analytic {rule.analytic!r}{hint}")
    if errors:
        raise RuleError(errors)
    return ruleset


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_unique(ruleset: RuleSet, errors: list[str]) -> None:
    seen: dict[str, str] = {}
    for rule in ruleset.rules:
        if rule.id in seen:
            errors.append(f"{rule.source}: rule id {rule.id!r} is also used by {seen[rule.id]}")
        seen[rule.id] = rule.source


def _meta(where: str, doc: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """Validate farmhunt's metadata keys; problems are appended to ``errors``."""
    unknown = (
        set(doc)
        - FARMHUNT_KEYS
        - set(_POSITIONS)
        - {
            "name",
            "status",
            "author",
            "date",
            "modified",
            "tags",
            "level",
            "falsepositives",
        }
    )
    for key in sorted(unknown):
        close = closest(key, FARMHUNT_KEYS)
        errors.append(
            f"{_at(where, doc, key)}: unknown key {key!r}"
            + (f" (did you mean {close!r}?)" if close else "")
        )
    for key in (
        "id",
        "title",
        "description",
        "severity",
        "weight",
        "category",
        "fbi_guidance",
        "attack",
        "triage",
        "false_positives",
        "tests",
    ):
        if key not in doc:
            errors.append(f"{where}: missing {key!r}")
    severity = str(doc.get("severity", "medium"))
    if severity not in SEVERITIES:
        known = ", ".join(SEVERITIES)
        errors.append(f"{_at(where, doc, 'severity')}: severity {severity!r} is not one of {known}")
    category = str(doc.get("category", "endpoint"))
    if category not in CATEGORIES:
        known = ", ".join(CATEGORIES)
        errors.append(f"{_at(where, doc, 'category')}: category {category!r} is not one of {known}")
    guidance = str(doc.get("fbi_guidance", ""))
    if guidance and guidance not in FBI_GUIDANCE:
        known = ", ".join(FBI_GUIDANCE)
        errors.append(
            f"{_at(where, doc, 'fbi_guidance')}: fbi_guidance {guidance!r} is not one of {known}"
        )
    weight = doc.get("weight", 0)
    if not isinstance(weight, (int, float)) or not 0 <= weight <= 100:
        errors.append(f"{_at(where, doc, 'weight')}: weight must be a number from 0 to 100")
        weight = 0
    attack, attack_none = _attack(where, doc, errors)
    return {
        "id": str(doc.get("id", "")),
        "title": str(doc.get("title", "")),
        "description": str(doc.get("description", "")).strip(),
        "severity": severity,
        "weight": float(weight),
        "category": category,
        "fbi_guidance": guidance,
        "attack": attack,
        "attack_none": attack_none,
        "false_positives": tuple(str(f) for f in doc.get("false_positives", []) or []),
        "triage": str(doc.get("triage", "")).strip(),
        "enabled": bool(doc.get("enabled", True)),
    }


_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")


def _attack(where: str, doc: dict[str, Any], errors: list[str]) -> tuple[tuple[str, ...], str]:
    """(technique ids, reason none fits): a list of ids, or ``none`` with a reason."""
    attack = doc.get("attack")
    reason = " ".join(str(doc.get("attack_none_reason") or "").split())
    at = _at(where, doc, "attack")
    if attack is None and "attack" not in doc:
        return (), ""  # reported as missing
    if isinstance(attack, str) and attack.strip().lower() == "none":
        if not reason:
            errors.append(
                f"{at}: `attack: none` needs `attack_none_reason:` saying why no technique fits"
            )
        return (), reason
    if reason:
        errors.append(
            f"{_at(where, doc, 'attack_none_reason')}: attack_none_reason goes with "
            "`attack: none` only"
        )
    values = [attack] if isinstance(attack, str) else attack
    if not isinstance(values, list) or not values:
        errors.append(
            f"{at}: attack must list ATT&CK technique ids (T1219, T1219.002), or be `none` "
            "with `attack_none_reason:`"
        )
        return (), ""
    bad = [str(v) for v in values if not _TECHNIQUE.match(str(v))]
    if bad:
        errors.append(f"{at}: not ATT&CK technique ids: {', '.join(bad)} (T1219, T1219.002)")
    return tuple(str(v) for v in values), ""


def _tests(where: str, doc: dict[str, Any], errors: list[str]) -> tuple[RuleTest, ...]:
    tests = doc.get("tests") or {}
    out: list[RuleTest] = []
    if not isinstance(tests, dict):
        errors.append(f"{where}: tests must map positive/negative to lists")
        return ()
    for key, expect in (("positive", True), ("negative", False)):
        cases = tests.get(key) or []
        if not cases:
            errors.append(f"{where}: needs at least one {key} test")
        for index, case in enumerate(cases, 1):
            line = case.get("__line__", "?") if isinstance(case, dict) else "?"
            tables = _strip_lines(case.get("tables") if isinstance(case, dict) else None)
            if not isinstance(tables, dict) or not tables:
                errors.append(
                    f"{where.rsplit(':', 1)[0]}:{line}: {key} test {index} needs "
                    "`tables: {table: [rows]}`"
                )
                continue
            for table, rows in tables.items():
                spec = STORE_TABLES.get(table) or DERIVED_TABLES.get(table)
                if spec is None:
                    errors.append(f"{where.rsplit(':', 1)[0]}:{line}: unknown table {table!r}")
                    continue
                for row in rows or []:
                    for column in row:
                        if not spec.has_column(column):
                            close = closest(column, spec.column_names())
                            errors.append(
                                f"{where.rsplit(':', 1)[0]}:{line}: table {table} has no "
                                f"column {column!r}"
                                + (f" (did you mean {close!r}?)" if close else "")
                            )
            lists = _strip_lines(case.get("indicators") or {})
            try:
                indicators_from_lists(lists)
            except (IndicatorError, AttributeError) as exc:
                errors.append(f"{where.rsplit(':', 1)[0]}:{line}: {key} test {index}: {exc}")
                continue
            out.append(
                RuleTest(expect, tables, case.get("subject"), str(case.get("name", "")), lists)
            )
    return tuple(out)


def _column_types(table: str) -> dict[str, str]:
    return {c.name: c.type for c in STORE_TABLES[table].columns}


def _farmhunt_rule(where: str, doc: dict[str, Any], errors: list[str]) -> Rule | None:
    meta = _meta(where, doc, errors)
    kind = doc.get("kind")
    if kind not in ("match", "analytic"):
        errors.append(
            f"{_at(where, doc, 'kind')}: kind {kind!r} is not match, correlation or analytic"
        )
        return None
    tests = _tests(where, doc, errors)
    subject = tuple(doc.get("subject", []) or [])
    params = _strip_lines(doc.get("params") or {})
    if kind == "analytic":
        from farmhunt.detect.analytics import with_params

        if not doc.get("analytic"):
            errors.append(f"{where}: analytic rules name their function as `analytic:`")
        return with_params(
            Rule(
                kind="analytic",
                source=where,
                analytic=str(doc.get("analytic", "")),
                params=params,
                subject=subject,
                tests=tests,
                name=meta["id"],
                **meta,
            ),
            lambda key: _at(where, doc, "params", key),
            errors,
        )
    body = _strip_lines({k: doc[k] for k in ("logsource", "detection") if k in doc})
    if "detection" not in body or "logsource" not in body:
        errors.append(f"{where}: match rules need `logsource` and `detection`")
        return None
    level = {"level": meta["severity"]} if meta["severity"] in SEVERITIES else {}
    sigma = SigmaRule.from_dict({"title": meta["title"], "name": meta["id"], **level, **body})
    table = table_for_logsource(sigma.logsource)
    if table is None:
        errors.append(
            f"{_at(where, doc, 'logsource')}: log source {body['logsource']} has no table "
            "in the store"
        )
        return None
    if table not in STORE_TABLES:
        close = closest(table, STORE_TABLES)
        errors.append(
            f"{_at(where, doc, 'logsource', 'service')}: log source service {table!r} is not "
            "a table of the store"
            + (f" (did you mean {close!r}?)" if close else "")
            + f"; known tables: {', '.join(sorted(STORE_TABLES))}"
        )
        return None
    _check_fields(where, doc, sigma, table, subject, errors)
    return Rule(
        kind="match",
        source=where,
        table=table,
        sigma=sigma,
        params=params,
        subject=subject,
        tests=tests,
        name=meta["id"],
        **meta,
    )


def _check_fields(
    where: str,
    doc: dict[str, Any],
    sigma: SigmaRule,
    table: str,
    subject: tuple[str, ...],
    errors: list[str],
) -> None:
    compiler = SigmaCompiler(table, _column_types(table), lenient=False)
    for name in sorted(fields_used(sigma)):
        try:
            compiler.column(name)
        except CompileError as exc:
            close = closest(name, sorted(compiler.columns))
            hint = f" (did you mean {close!r}?)" if close else ""
            errors.append(f"{_field_line(where, doc.get('detection'), name)}: {exc}{hint}")
    for problem in recoded_value_errors(sigma, table):
        errors.append(f"{_at(where, doc, 'detection')}: {problem}")
    if not errors:
        failed = compile_problem(sigma, table, where, doc.get("detection"))
        if failed is not None:
            errors.append(f"{failed[0]}: {failed[1]}")
    for name in sorted(placeholders_used(sigma) - set(compiler.placeholders)):
        known = ", ".join(sorted(compiler.placeholders))
        errors.append(
            f"{_at(where, doc, 'detection')}: unknown placeholder %{name}% (known: {known})"
        )
    for column in subject:
        if column not in compiler.columns:
            errors.append(
                f"{_at(where, doc, 'subject')}: subject column {column!r} is not in table {table}"
            )


@functools.cache
def _unbound(table: str) -> ir.Table:
    """The table's columns as an Ibis table bound to no engine, to compile rules on."""
    return ibis.table(ibis.Schema.from_pyarrow(STORE_TABLES[table].arrow_schema()), name=table)


def compile_problem(
    sigma: SigmaRule, table: str, where: str, detection: Any
) -> tuple[str, str] | None:
    """(``file:line``, why) when the rule's condition does not compile for ``table``.

    ``rules validate`` and ``detect`` both load rules through here, so a construct the
    compiler lacks is reported before a run rather than ending it. Any exception is
    caught: a rule file is attacker-controlled input, and one bad rule must not stop
    the others.
    """
    from farmhunt.detect.context import accessor

    compiler = SigmaCompiler(table, _column_types(table))
    try:
        compiler.compile(sigma, accessor(_unbound(table)))
    except Exception as exc:  # reported with the rule, which is skipped
        field = getattr(exc, "field", None)
        at = _field_line(where, detection, field) if field else where
        return at, _one_line(exc) if isinstance(exc, CompileError) else (
            f"{type(exc).__name__}: {_one_line(exc)}"
        )
    return None


def _plain_sigma_rule(
    where: str, doc: dict[str, Any], errors: list[str], ruleset: RuleSet
) -> Rule | None:
    """A SigmaHQ/LOLRMM rule as it is: metadata from Sigma's own fields."""
    sigma = SigmaRule.from_dict(_strip_lines(doc))
    table, why_not = table_for_rule(sigma)
    title = sigma.title
    if table is None or table not in STORE_TABLES:
        ruleset.skipped.append(
            f"{where}: {title} ({why_not or f'log source {sigma.logsource} not stored'})"
        )
        return None
    compiler = SigmaCompiler(table, _column_types(table))
    try:
        for name in fields_used(sigma):
            compiler.column(name)
    except CompileError as exc:
        ruleset.skipped.append(f"{where}: {title} ({exc})")
        return None
    recoded = recoded_value_errors(sigma, table)
    if recoded:
        ruleset.skipped.append(f"{where}: {title} ({'; '.join(recoded)})")
        return None
    problem = compile_problem(sigma, table, where, doc.get("detection"))
    if problem is not None:
        ruleset.unsupported.append(f"{problem[0]}: {title} ({problem[1]})")
        return None
    level = sigma.level.name.lower() if sigma.level else "medium"
    tags = [str(t) for t in sigma.tags]
    attack = tuple(
        t.split(".", 1)[1].upper() for t in tags if t.startswith("attack.t") and t[8:9].isdigit()
    )
    rule_id = (
        str(sigma.id)
        if sigma.id
        else str(sigma.name or "")
        or (f"{Path(where.rsplit(':', 1)[0]).stem}:{where.rsplit(':', 1)[1]}")
    )
    return Rule(
        id=rule_id,
        kind="match",
        title=title,
        description=(sigma.description or "").strip(),
        severity=level if level in SEVERITIES else "medium",
        weight=LEVEL_WEIGHTS.get(level, 20.0),
        category="network"
        if table in ("network_activity", "dns_activity", "http_activity")
        else "endpoint",
        fbi_guidance="remote_access" if "T1219" in attack else "",
        attack=attack,
        false_positives=tuple(str(f) for f in sigma.falsepositives or []),
        triage="",
        source=where,
        table=table,
        sigma=sigma,
        name=str(sigma.name or rule_id),
    )


def _correlation_fields(
    where: str,
    doc: dict[str, Any],
    correlation: dict[str, Any],
    refs: list[str],
    sigma_rules: dict[str, SigmaRule],
    errors: list[str],
) -> bool:
    """Whether the correlation's ``group-by`` fields (and a value_count's ``field``) are
    columns, or mapped Sigma fields, of every referenced rule's table; the engine would
    otherwise fail on them at run time. Problems are appended to ``errors``."""
    group_by = correlation.get("group-by") or []
    if isinstance(group_by, str):
        group_by = [group_by]
    checks: list[tuple[str, tuple[str, ...]]] = [
        (str(name), ("correlation", "group-by")) for name in group_by
    ]
    condition = correlation.get("condition")
    value_count = correlation.get("type") == "value_count"
    if value_count and isinstance(condition, dict) and condition.get("field"):
        checks.append((str(condition["field"]), ("correlation", "condition", "field")))
    ok = True
    for ref in refs:
        table = table_for_rule(sigma_rules[ref])[0]
        if table is None or table not in STORE_TABLES:
            continue  # the referenced rule reported its own log source problem
        compiler = SigmaCompiler(table, _column_types(table), lenient=False)
        for name, keys in checks:
            try:
                compiler.column(name)
            except CompileError:
                close = closest(name, sorted(compiler.columns))
                errors.append(
                    f"{_at(where, doc, *keys)}: correlation field {name!r} of {keys[-1]} has "
                    f"no column in table {table} (read by rule {ref})"
                    + (f"; did you mean {close!r}?" if close else "")
                )
                ok = False
    return ok


def _correlation_rule(
    where: str,
    doc: dict[str, Any],
    sigma_rules: dict[str, SigmaRule],
    errors: list[str],
    ruleset: RuleSet,
) -> Rule | None:
    body = _strip_lines(doc)
    farmhunt = "kind" in doc
    meta = _meta(where, doc, errors) if farmhunt else None
    correlation = body.get("correlation") or {}
    refs = [str(r) for r in correlation.get("rules", [])]
    missing = [r for r in refs if r not in sigma_rules]
    if missing and not farmhunt:
        # a plain Sigma correlation over rules that were skipped (log source not stored,
        # unreadable) or that the folder does not hold: skipped with them
        ruleset.skipped.append(
            f"{where}: {body.get('title', '')} (refers to rules not loaded: {', '.join(missing)})"
        )
        return None
    if missing:
        errors.append(
            f"{_at(where, doc, 'correlation', 'rules')}: correlation refers to unknown "
            f"rule(s) {', '.join(missing)}"
        )
        return None
    if not _correlation_fields(where, doc, correlation, refs, sigma_rules, errors):
        return None
    title = str(body.get("title", ""))
    sigma_doc = {
        "title": title,
        "name": str(body.get("id") or body.get("name") or title),
        "correlation": correlation,
    }
    collection = SigmaCollection([*(sigma_rules[r] for r in refs)])
    rule = SigmaCorrelationRule.from_dict(sigma_doc)
    collection.rules.append(rule)
    collection.resolve_rule_references()
    tests = _tests(where, doc, errors) if farmhunt else ()
    if meta is None:
        level = str(body.get("level", "medium"))
        meta = {
            "id": sigma_doc["name"],
            "title": title,
            "description": str(body.get("description", "")),
            "severity": level,
            "weight": LEVEL_WEIGHTS.get(level, 20.0),
            "category": "endpoint",
            "fbi_guidance": "",
            "attack": (),
            "attack_none": "",
            "false_positives": (),
            "triage": "",
            "enabled": True,
        }
    return Rule(
        kind="correlation",
        source=where,
        sigma=rule,
        params=_strip_lines(doc.get("params") or {}),
        subject=tuple(doc.get("subject", []) or []),
        tests=tests,
        name=meta["id"],
        **meta,
    )
