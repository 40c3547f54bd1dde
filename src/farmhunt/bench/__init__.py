"""Benchmarks: ingest against the raw-read floor, rules against a peer Sigma engine.

``farmhunt bench`` generates (or reuses) simulated corpora of given sizes and measures,
on the same files in one run: ingest throughput and memory, DuckDB's raw read of the
same files (the floor), detect and score, the LOLRMM Sigma rules on farmhunt's engine
versus the same rules converted to SQLite queries (the engine behind Zircolite), and how
time and memory grow with the corpus. See docs/performance.md.
"""
