"""File identity: what makes a re-import a no-op and an appended log a continuation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from farmhunt.sources.compressed import DecompressedReader, open_decompressed


@dataclass
class Fingerprint:
    """Hashes of a file's decompressed content."""

    head_sha256: str
    content_sha256: str
    size: int
    prefixes: dict[int, str] = field(default_factory=dict)
    """sha256 of the first N bytes, for each N asked for (to recognise appended logs)."""
    unverified: list[tuple[int, int]] = field(default_factory=list)
    """Decompressed ranges of gzip members that failed their CRC check."""


HEAD_IDENTITY_BYTES = 4096


def _head_identity(head: bytes) -> str:
    """Digest of the file's first line (at most 4 KiB): unchanged when a log is appended to."""
    first = head[:HEAD_IDENTITY_BYTES]
    newline = first.find(b"\n")
    if newline >= 0:
        first = first[: newline + 1]
    return hashlib.sha256(first).hexdigest()


def head_digest(path: str) -> str:
    with open_decompressed(path) as binary:
        return _head_identity(binary.read(HEAD_IDENTITY_BYTES))


def fingerprint(path: str, prefix_sizes: list[int] | None = None) -> Fingerprint:
    """Hash the whole decompressed stream once, noting digests at ``prefix_sizes``.

    A truncated or corrupt compressed file is hashed up to its damage (the reader ends
    there instead of raising), so it can still be planned, imported and recognised.
    Reading it all once is also how gzip members that fail their CRC check are known
    before any of their records is stored (``unverified``).
    """
    wanted = sorted(set(prefix_sizes or []))
    digest = hashlib.sha256()
    prefixes: dict[int, str] = {}
    size = 0
    head = b""
    with open_decompressed(path) as binary:
        while True:
            limit = 1 << 20
            if wanted:
                limit = min(limit, wanted[0] - size) or limit
            block = binary.read(limit)
            if not block:
                break
            if len(head) < HEAD_IDENTITY_BYTES:
                head += block[: HEAD_IDENTITY_BYTES - len(head)]
            digest.update(block)
            size += len(block)
            while wanted and wanted[0] == size:
                prefixes[wanted.pop(0)] = digest.copy().hexdigest()
            while wanted and wanted[0] < size:
                wanted.pop(0)
        unverified = binary.unverified if isinstance(binary, DecompressedReader) else []
    return Fingerprint(
        head_sha256=_head_identity(head),
        content_sha256=digest.hexdigest(),
        size=size,
        prefixes=prefixes,
        unverified=list(unverified),
    )
