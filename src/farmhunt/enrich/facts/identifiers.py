"""Identifier → worker: one rule for every analytic, correlation and score.

Identity resolution (:mod:`farmhunt.enrich.identity`) writes ``worker_links``: every
identifier seen in the events (an email, a login, a host name, a serial) with the
worker it names, or none. Readers used to apply three rules: a join that ignored
identifiers naming several workers, a dictionary where the last link read won, and
the roster's own columns first. The rule is now this one: **an identifier names a
worker when every link of it names that same worker; an identifier that names two
workers names neither** (it is listed in :attr:`WorkerIndex.ambiguous`, never resolved
to whichever link came last). Look-ups by Python ignore case, as identity resolution
compares them; the Ibis relation (:func:`unambiguous_links`) keeps every spelling the
events hold, so a join needs no case folding of a large table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import ibis.expr.types as ir


@dataclass(frozen=True)
class WorkerIndex:
    """lower(identifier) → worker, for identifiers that name exactly one worker."""

    workers: Mapping[str, str] = field(default_factory=dict)
    ambiguous: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """lower(identifier) → the workers it names, for those that name more than one."""

    @classmethod
    def from_links(cls, links: Iterable[tuple[str | None, str | None]]) -> WorkerIndex:
        """The index of ``(identifier, worker_id)`` pairs (links to no worker ignored)."""
        named: dict[str, set[str]] = defaultdict(set)
        for identifier, worker in links:
            if identifier and worker:
                named[str(identifier).strip().lower()].add(str(worker))
        return cls(
            {i: next(iter(w)) for i, w in named.items() if len(w) == 1},
            {i: frozenset(w) for i, w in named.items() if len(w) > 1},
        )

    def worker(self, identifier: str | None) -> str | None:
        """The worker ``identifier`` names, None when it names none or several."""
        if not identifier:
            return None
        return self.workers.get(str(identifier).strip().lower())

    def first(self, identifiers: Iterable[str | None]) -> str | None:
        """The worker the first resolvable identifier names."""
        for identifier in identifiers:
            found = self.worker(identifier)
            if found:
                return found
        return None


def unambiguous_links(worker_links: ir.Table) -> ir.Table:
    """``identifier``, ``worker_id`` for identifiers that name exactly one worker, judged
    ignoring case as :class:`WorkerIndex` does, with every spelling the events hold (so
    a join to an event table needs no case folding of that large table)."""
    known = worker_links.filter(
        worker_links.worker_id.notnull() & worker_links.identifier.notnull()
    )
    folded = known.mutate(__folded=known.identifier.strip().lower())
    named = folded.group_by("__folded").aggregate(
        __worker=folded.worker_id.min(), __n=folded.worker_id.nunique()
    )
    named = named.filter(named.__n == 1)
    joined = folded.inner_join(named, "__folded")
    return joined.select(identifier=joined.identifier, worker_id=joined.__worker).distinct()


UNAMBIGUOUS_LINKS_SQL = """
SELECT lower(trim(identifier)) AS identifier, min(worker_id) AS worker_id FROM worker_links
WHERE worker_id IS NOT NULL AND identifier IS NOT NULL
GROUP BY lower(trim(identifier)) HAVING count(DISTINCT worker_id) = 1
"""
"""The same rule for SQL readers: lower(identifier) → its one worker (join on
``lower(...)`` of the event column)."""


def roster_identifiers(rows: Iterable[tuple[str, Iterable[str | None]]]) -> WorkerIndex:
    """The index of identifiers the roster itself gives (``(employee_id, [email, login,
    …])`` per worker): one value given by two workers names neither."""
    return WorkerIndex.from_links(
        (value, employee_id) for employee_id, values in rows for value in values
    )


def worker_of(indexes: Iterable[WorkerIndex], identifiers: Iterable[str | None]) -> str | None:
    """The worker the identifiers name, trying each identifier in turn in every index in
    order (the roster's own columns before the identity links: an HR export is the
    authority on its workers)."""
    ordered = list(indexes)
    for identifier in identifiers:
        for index in ordered:
            found = index.worker(identifier)
            if found:
                return found
    return None
