"""Running rules: match rules in one pass per table, then correlations, then analytics.

Every rule is compiled to Ibis, so the engine runs wherever Ibis does (DuckDB embedded,
Spark for large estates). Match rules on one table share a single scan: each row gets
one flag per rule, only flagged rows are kept, and findings are grouped from those.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from farmhunt.detect.context import EVIDENCE_SAMPLES, MAX_DEVICES, MAX_UIDS, jsonable
from farmhunt.detect.context import Context as Context
from farmhunt.detect.context import accessor as accessor
from farmhunt.detect.context import make_context as make_context
from farmhunt.detect.context import subject_expr as subject_expr
from farmhunt.detect.loader import RuleSet
from farmhunt.detect.model import Finding, Rule
from farmhunt.detect.prefilter import (
    Needs,
    exact,
    match_expr,
    necessary,
    prefilter,
    table_needs,
)
from farmhunt.detect.sigma_ibis import SigmaCompiler, fields_used, fold_or
from farmhunt.detect.subjects import subject_type, subjects_for
from farmhunt.detect.virtual import with_virtual
from farmhunt.schema.tables import FINDINGS_TABLE


def run_rules(ctx: Context, ruleset: RuleSet) -> list[Finding]:
    """All findings of every enabled rule."""
    findings: list[Finding] = []
    by_table: dict[str, list[Rule]] = defaultdict(list)
    for rule in ruleset.of_kind("match"):
        assert rule.table is not None
        by_table[rule.table].append(rule)
    for table, rules in sorted(by_table.items()):
        findings += match_table(ctx, table, rules)
    from farmhunt.detect.correlate import run_correlation

    for rule in ruleset.of_kind("correlation"):
        findings += run_correlation(ctx, rule, ruleset)
    from farmhunt.detect.analytics import run_analytic

    analytics = list(ruleset.of_kind("analytic"))
    try:
        for index, rule in enumerate(analytics):
            ctx.running = rule.analytic
            findings += run_analytic(ctx, rule)
            ctx.running = None
            ctx.forget_unused({r.analytic or "" for r in analytics[index + 1 :]})
    finally:
        ctx.running = None
        ctx.close_memo()
    return findings


def match_table(
    ctx: Context, table: str, rules: list[Rule], *, max_uids: int | None = MAX_UIDS
) -> list[Finding]:
    """Evaluate every match rule of one table in a single scan; each finding keeps
    its first ``max_uids`` event uids (all of them with None)."""
    findings: list[Finding] = []
    for batch in scan_batches(ctx.compiler(table), rules):
        with contextlib.ExitStack() as stack:
            findings += _match_table(ctx, table, batch, stack, max_uids)
    return findings


def _is_exact(compiler: SigmaCompiler, rule: Rule) -> bool:
    try:
        return exact(compiler, rule.sigma) is not None
    except Exception:  # the scan reports the rule (ctx.failed) when it compiles it
        return False


SCAN_BATCH = 60
"""Rules compiled to a condition tree evaluated per scan. Ibis's SQL compiler takes
super-linear time in the size of one expression, so SigmaHQ's process_creation rules
run fastest in scans of a few dozen rather than one (figures in docs/performance.md)."""


def scan_batches(compiler: SigmaCompiler, rules: list[Rule]) -> list[list[Rule]]:
    """The rules in the scans that evaluate them: every rule that is one regular
    expression per column (:func:`~farmhunt.detect.prefilter.exact`, LOLRMM's) in one
    scan, as before, since such rules are small to compile; the others in scans of
    :data:`SCAN_BATCH`."""
    flags = [_is_exact(compiler, r) for r in rules]
    simple = [r for r, flag in zip(rules, flags, strict=True) if flag]
    others = [r for r, flag in zip(rules, flags, strict=True) if not flag]
    batches = [simple] if simple else []
    batches += [others[i : i + SCAN_BATCH] for i in range(0, len(others), SCAN_BATCH)]
    return batches


def _match_table(
    ctx: Context,
    table: str,
    rules: list[Rule],
    stack: contextlib.ExitStack,
    max_uids: int | None,
) -> list[Finding]:
    compiler = ctx.compiler(table)
    evidence_cols = sorted({compiler.column(f) for r in rules for f in fields_used(r.sigma)})
    stored = ctx.table(table)
    t = with_virtual(stored, evidence_cols)
    subject_sets = {r.subject or subjects_for(table) for r in rules}
    needs = table_needs(compiler, [r.sigma for r in rules])
    used = {"metadata.uid", "time", "device.hostname", "metadata.log_name", *evidence_cols}
    used.update(c for columns in subject_sets for c in columns)
    if needs is not None:
        rows = _narrow(t, needs, sorted(c for c in used if c in t.columns))
        rules = _candidates(compiler, rules, rows)
        if not rules:
            return []
        t = ibis.memtable(rows)
    elif set(t.columns) - set(stored.columns):
        # Fields read from the unmapped JSON, computed once into a temporary table:
        # inlined, hundreds of rules each parsing the JSON ran DuckDB out of memory.
        t = stack.enter_context(t.select(*sorted((used | {"raw_data"}) & set(t.columns))).cache())
    get = accessor(t)
    compiled = _flags(ctx, compiler, rules, get)
    rules = [rule for rule, _flag_expr in compiled]
    if not rules:
        return []
    flags = {f"__r{i}": flag for i, (_rule, flag) in enumerate(compiled)}
    subject_cols: dict[tuple[str, ...], str] = {}
    selected: dict[str, ir.Value] = {
        "__uid": t["metadata.uid"] if "metadata.uid" in t.columns else ibis.null().cast("string"),
        "__time": t["time"],
        "__device": t["device.hostname"]
        if "device.hostname" in t.columns
        else ibis.null().cast("string"),
    }
    for number, columns in enumerate(sorted(subject_sets)):
        subject, which = subject_expr(t, columns)
        selected[f"__s{number}"] = subject
        selected[f"__w{number}"] = which
        subject_cols[columns] = str(number)
    for column in evidence_cols:
        selected[column] = t[column]
    any_flag = fold_or([hits_col for hits_col in flags.values()])
    hits = t.select(**selected, **flags).filter(any_flag)
    # Findings are grouped in the engine, so only per-subject aggregates and each
    # subject's first events reach Python: bringing every flagged row (with its
    # evidence columns) into Arrow and Python dicts makes memory grow with the number
    # of matches, which a noisy rule over a large store makes unbounded.
    with hits.cache() as cached:
        fired = _fired(cached, list(flags))
        if not fired:
            return []
        long = _long(cached, fired, rules, subject_cols, table, evidence_cols)
        with long.cache() as ranked:
            return _findings(ctx, table, rules, fired, ranked, compiler, max_uids)


def _fired(hits: ir.Table, flags: list[str]) -> list[int]:
    """The indexes of the rules that flag at least one row."""
    counts = hits.aggregate(
        **{name: hits[name].fill_null(False).cast("int64").sum() for name in flags}
    ).to_pyarrow()
    return [i for i, name in enumerate(flags) if (counts.column(name)[0].as_py() or 0) > 0]


def _long(
    hits: ir.Table,
    fired: list[int],
    rules: list[Rule],
    subject_cols: dict[tuple[str, ...], str],
    table: str,
    evidence_cols: list[str],
) -> ir.Table:
    """One row per (rule, flagged row) of the rules that fired, with the row's subject
    under that rule and ``__rn``, its place among the subject's events in time order
    (ties in event-id order, so the kept uids and samples are the same on every run)."""
    parts = []
    for i in fired:
        index = subject_cols[rules[i].subject or subjects_for(table)]
        mine = hits.filter(hits[f"__r{i}"].fill_null(False))
        parts.append(
            mine.select(
                __rule=ibis.literal(i, type="int64"),
                __subject=mine[f"__s{index}"],
                __which=mine[f"__w{index}"],
                __uid=mine["__uid"],
                __time=mine["__time"],
                __device=mine["__device"],
                **{c: mine[c] for c in evidence_cols},
            )
        )
    union = _union_all(parts)
    window = ibis.window(
        group_by=[union["__rule"], union["__subject"]],
        order_by=[union["__time"], union["__uid"]],
    )
    return union.mutate(__rn=ibis.row_number().over(window))


def _union_all(parts: list[ir.Table]) -> ir.Table:
    """UNION ALL of many tables as a balanced tree: a chain folded left is as deep as
    the number of rules that fired, and hundreds of SigmaHQ rules firing made the SQL
    compiler exceed Python's recursion limit."""
    while len(parts) > 1:
        paired = [a.union(b, distinct=False) for a, b in zip(parts[::2], parts[1::2], strict=False)]
        parts = paired + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def _findings(
    ctx: Context,
    table: str,
    rules: list[Rule],
    fired: list[int],
    ranked: ir.Table,
    compiler: SigmaCompiler,
    max_uids: int | None = MAX_UIDS,
) -> list[Finding]:
    """Findings from the ranked rows: per (rule, subject) the count, first and last
    time, up to ten devices, the first MAX_UIDS uids and EVIDENCE_SAMPLES samples."""
    keys = ["__rule", "__subject"]
    stats = (
        ranked.group_by(keys)
        .aggregate(
            __n=ranked.count(),
            __first=ranked["__time"].min(),
            __last=ranked["__time"].max(),
        )
        .to_pyarrow()
        .to_pylist()
    )
    uids: dict[tuple[int, str | None], list[str]] = defaultdict(list)
    kept = ranked if max_uids is None else ranked.filter(ranked["__rn"] < max_uids)
    for row in (
        kept.select(*keys, "__rn", "__uid").order_by([*keys, "__rn"]).to_pyarrow().to_pylist()
    ):
        if row["__uid"]:
            uids[(row["__rule"], row["__subject"])].append(row["__uid"])
    first = ranked.filter(ranked["__rn"] < EVIDENCE_SAMPLES).order_by([*keys, "__rn"])
    samples: dict[tuple[int, str | None], list[dict[str, Any]]] = defaultdict(list)
    which: dict[tuple[int, str | None], str | None] = {}
    for row in first.drop("__uid", "__time", "__device").to_pyarrow().to_pylist():
        key = (row["__rule"], row["__subject"])
        fields = _fields(compiler, rules[key[0]])
        samples[key].append({f: jsonable(row[f]) for f in fields if row.get(f) is not None})
        which.setdefault(key, row["__which"])
    named = ranked.filter(ranked["__device"].notnull() & (ranked["__device"] != ""))
    pairs = named.select(*keys, "__device").distinct()
    by_name = ibis.window(group_by=[pairs[k] for k in keys], order_by=pairs["__device"])
    pairs = pairs.mutate(__dn=ibis.row_number().over(by_name))
    devices: dict[tuple[int, str | None], list[str]] = defaultdict(list)
    listed = pairs.filter(pairs["__dn"] < MAX_DEVICES).order_by([*keys, "__dn"])
    for row in listed.to_pyarrow().to_pylist():
        devices[(row["__rule"], row["__subject"])].append(row["__device"])
    out = []
    for stat in stats:
        key = (stat["__rule"], stat["__subject"])
        rule, subject = rules[key[0]], key[1]
        count, first_seen, last_seen = stat["__n"], stat["__first"], stat["__last"]
        found = devices[key]
        out.append(
            Finding(
                rule=rule,
                subject=subject or "(unknown)",
                subject_type=subject_type(which.get(key) or "device.hostname"),
                first_seen=first_seen,
                last_seen=last_seen,
                event_count=count,
                event_uids=uids[key],
                explanation=_explain(rule, subject, count, first_seen, last_seen, samples[key]),
                evidence={"matched": samples[key], "devices": found},
                device=found[0] if found else None,
                worker_id=ctx.worker_for(subject) or ctx.worker_for(found[0] if found else None),
                tables=[table],
            )
        )
    return out


def _fields(compiler: SigmaCompiler, rule: Rule) -> list[str]:
    return sorted({compiler.column(f) for f in fields_used(rule.sigma)})


def _flags(
    ctx: Context, compiler: SigmaCompiler, rules: list[Rule], get: Any
) -> list[tuple[Rule, ir.BooleanValue]]:
    """Each rule with its compiled condition; a rule that fails to compile (the loader
    tried it, but placeholders and the engine's tables may differ) is reported in
    ``ctx.failed`` and left out, so it cannot stop the others."""
    out = []
    for rule in rules:
        try:
            out.append((rule, _flag(compiler, rule, get)))
        except Exception as exc:  # reported with the rule, which is left out
            ctx.failed.append(f"{rule.source}: {rule.title} ({type(exc).__name__}: {exc})")
    return out


def _flag(compiler: SigmaCompiler, rule: Rule, get: Any) -> ir.BooleanValue:
    """A rule's condition: one regular expression per column when the rule is a list
    of plain or ``*``-ended strings (detect/prefilter.py), else the compiled tree."""
    simple = exact(compiler, rule.sigma)
    if simple is None:
        return compiler.compile(rule.sigma, get)
    return compiler.restrict(rule.sigma, match_expr(simple, get), get)


def _narrow(t: ir.Table, needs: Needs, columns: list[str]) -> pa.Table:
    """The rows some rule may match (detect/prefilter.py), with the columns rules read.

    A separate query on purpose: in one query DuckDB pushed the rules' OR below the
    narrowing and ran every rule's string predicates on every row anyway, many times
    slower than the narrowing alone (figures in docs/performance.md).
    """
    return t.filter(prefilter(needs, accessor(t))).select(*columns).to_pyarrow()


def _candidates(compiler: SigmaCompiler, rules: list[Rule], rows: pa.Table) -> list[Rule]:
    """The rules whose necessary condition some narrowed row meets, tested in Arrow.

    After narrowing, a few hundred rows are typically left for hundreds of rules, and
    building, compiling and planning a flag per rule then costs far more than the rows
    (docs/performance.md). The same per-column regular
    expressions as the narrowing, per rule, over the Arrow rows drop the rules that
    cannot fire; a rule with no condition to test is kept.
    """
    kept = []
    lowered: dict[str, pa.Array] = {}
    for rule in rules:
        needs = necessary(compiler, rule.sigma)
        if needs is None:
            kept.append(rule)
            continue
        for column, alternatives in sorted(needs.items()):
            if column not in rows.column_names:
                kept.append(rule)  # cannot test it here: the rule decides
                break
            if column not in lowered:
                lowered[column] = pc.utf8_lower(rows.column(column).cast(pa.string()))
            pattern = "(?s)(?:" + "|".join(sorted(alternatives)) + ")"
            if pc.any(pc.match_substring_regex(lowered[column], pattern)).as_py():
                kept.append(rule)
                break
    return kept


def _explain(
    rule: Rule,
    subject: str | None,
    count: int,
    first: datetime,
    last: datetime,
    samples: list[dict[str, Any]],
) -> str:
    what = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in samples[:2])
    span = f"{first:%Y-%m-%d %H:%M}" + (f" to {last:%Y-%m-%d %H:%M}" if last != first else "")
    text = f"{rule.title}: {count} event{'s' if count != 1 else ''} for {subject} ({span} UTC)"
    return text + (f". Matched: {what}" if what else "")


def finding_id(rule_id: str, subject: str) -> str:
    return hashlib.blake2b(f"{rule_id}\x1f{subject}".encode(), digest_size=10).hexdigest()


def findings_table(findings: list[Finding]) -> pa.Table:
    """Findings as the ``findings`` derived table."""
    from farmhunt.store.arrow import to_arrow

    rows = []
    for f in sorted(findings, key=lambda f: (f.rule.id, f.subject)):
        rule = f.rule
        rows.append(
            {
                "finding_id": finding_id(rule.id, f.subject),
                "rule_id": rule.id,
                "rule_kind": rule.kind,
                "title": rule.title,
                "category": rule.category,
                "severity": rule.severity,
                "weight": rule.weight,
                "fbi_guidance": rule.fbi_guidance,
                "attack": list(rule.attack),
                "worker_id": f.worker_id,
                "subject": f.subject,
                "subject_type": f.subject_type,
                "device": f.device,
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
                "event_count": f.event_count,
                "event_uids": f.event_uids,
                "tables": f.tables,
                "explanation": f.explanation,
                "evidence": f.evidence,
                "description": rule.description,
                "false_positives": list(rule.false_positives),
                "triage": rule.triage,
                "source": rule.source,
            }
        )
    return to_arrow(FINDINGS_TABLE, rows)
