"""Per-record accounting of an import: every record read has exactly one fate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    """Records of one file by fate; each record read is counted in exactly one field.

    The invariant ``read == stored + quarantined + empty + skipped`` holds for every
    file and every format (tested over every sample): a record that makes several rows
    counts once, and a record of which any row went to quarantine counts as quarantined
    (its reason is in the quarantine table). Records the framing never yields cannot be
    counted here; the tests compare ``read`` with an independent count of the input.
    """

    read: int = 0
    stored: int = 0
    """Records whose rows were all stored."""
    quarantined: int = 0
    """Records rejected whole, or of which a row did not fit its column."""
    empty: int = 0
    """Records that make no row by design (an osquery snapshot of a query with no
    result, a differential batch with nothing added or removed)."""
    skipped: int = 0
    """Records already imported by an earlier run (resume, appended log)."""

    def balanced(self) -> bool:
        return self.read == self.stored + self.quarantined + self.empty + self.skipped

    def add(self, other: Tally) -> None:
        self.read += other.read
        self.stored += other.stored
        self.quarantined += other.quarantined
        self.empty += other.empty
        self.skipped += other.skipped
