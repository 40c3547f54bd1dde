"""Source parsers: vendors' raw log formats in, OCSF rows out.

One subpackage per source family (``osquery``, ``windows`` …), each exporting
``PARSERS``; shared sniffing in :mod:`sniffing`, framing in :mod:`framing`
(:mod:`compressed` files, JSON documents cut by :mod:`json_split`), value helpers in
:mod:`values`, and the building of OCSF rows in :mod:`rows`.
"""

from __future__ import annotations

import os

from farmhunt.sources.base import FileError, Sample
from farmhunt.sources.compressed import DecompressedReader, open_decompressed
from farmhunt.sources.sniffing import (
    HEAD_BYTES,
    decode_head,
    detect_encoding,
    json_layout,
    records_past_head,
    sample_json_records,
)


def read_sample(path: str) -> Sample:
    """Read and decode the head of ``path`` (decompressed) for sniffing.

    A compressed file damaged before its first byte of data raises FileError: without
    this it would pass for an empty file.
    """
    with open_decompressed(path) as binary:
        head = binary.read(HEAD_BYTES)
        if not head and isinstance(binary, DecompressedReader) and binary.damage:
            raise FileError(f"{binary.damage} before any data: nothing to import")
        encoding = detect_encoding(head)
        text = None
        layout = None
        records: list[object] = []
        if encoding is not None:
            text = decode_head(head, encoding.replace("-sig", ""))
            text = text.lstrip("\ufeff")
            if "\x00" in text and not encoding.startswith("utf-16"):
                text = text.replace("\x00", "")  # padding framing skips (copytruncate)
            layout = json_layout(text)
            if layout is not None:
                records = sample_json_records(text, layout)
            if layout == "ndjson" and not records and encoding.startswith("utf-8"):
                records = records_past_head(binary, head)
    return Sample(
        name=os.path.basename(path),
        head=head,
        text=text,
        encoding=encoding,
        json_kind=layout,
        records=records,
    )
