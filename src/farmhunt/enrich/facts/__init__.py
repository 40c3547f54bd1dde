"""Worker facts: what every analytic, the scorer, the clusterer and the report agree on.

One home for each idea that used to be written several times with different meanings:

- :mod:`~farmhunt.enrich.facts.roster`: the roster as of a time, one row per worker by
  one tie-break (:data:`~farmhunt.enrich.facts.roster.LATEST_ORDER`), as
  :class:`~farmhunt.enrich.facts.roster.RosterRow`;
- :mod:`~farmhunt.enrich.facts.identifiers`: identifier → worker, one rule, ambiguity
  explicit (:class:`~farmhunt.enrich.facts.identifiers.WorkerIndex`);
- :mod:`~farmhunt.enrich.facts.addresses` and :mod:`~farmhunt.enrich.facts.contacts`:
  addresses, phone numbers and payroll accounts reduced for comparison, one normaliser
  each;
- :mod:`~farmhunt.enrich.facts.times`: times as findings show them.

It lives in ``enrich`` so that detect, score and report may all import it (the layers
are sources → ingest → enrich → detect → score → report → cli, no arrow upward).
"""
