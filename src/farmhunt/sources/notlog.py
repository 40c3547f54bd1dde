"""Files that are plainly not logs: documentation, images, archive and folder metadata.

An export folder or an unpacked archive holds more than logs: a README, a LICENSE, a
screenshot, the scripts that made the export, macOS's ``__MACOSX/._*`` resource forks
(EVTX-ATTACK-SAMPLES keeps its README, GPL licence, heat-map images, PowerShell
scripts and an HTML plot beside its logs; OTRF's Security-Datasets the packet captures
of each attack, which Zeek reads and farmhunt reads Zeek's logs of). Each made ``ingest`` end in an
error (exit 1) although nothing was wrong. Such a file is skipped with its reason, but
only once no parser has claimed it (``evtx_dump`` output saved as ``.txt`` is a log)
and, for text, only when it is not JSON: JSON that no parser knows stays an error,
since it is most likely a log farmhunt should learn to read.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePath

from farmhunt.sources.base import Sample

_DOC_NAMES = re.compile(
    r"(README|LICEN[CS]E|COPYING|NOTICE|CHANGELOG|CHANGES|HISTORY|AUTHORS|CONTRIBUTING|"
    r"CONTRIBUTORS|SECURITY|CODE_OF_CONDUCT|CITATION|MANIFEST)([._-].*)?",
    re.IGNORECASE,
)
_DOC_EXTENSIONS = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".org", ".rtf"})
_CONFIG_EXTENSIONS = frozenset({".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf"})
_CODE_EXTENSIONS = frozenset(
    {".ps1", ".psm1", ".psd1", ".py", ".sh", ".bat", ".cmd", ".vbs", ".js", ".css"}
)
_PAGE_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
_COMPILED_EXTENSIONS = frozenset({".pyc", ".pyo", ".class", ".exe", ".dll", ".so", ".dylib"})
_TIMED_LINE = re.compile(r"[\[(]?\d{1,4}[-/.]\d{1,2}[^\n]{0,30}?\d{1,2}:\d{2}")
"""A line that starts with a date and a time: the shape of a log line."""
_FOLDER_METADATA = frozenset({".ds_store", "thumbs.db", "desktop.ini", "icon\r"})

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x00\x05\x16\x07", "macOS resource fork (AppleDouble)"),
    *(
        (magic, "a packet capture (run Zeek on it and ingest Zeek's logs)")
        for magic in (
            b"\xd4\xc3\xb2\xa1",
            b"\xa1\xb2\xc3\xd4",
            b"\x4d\x3c\xb2\xa1",
            b"\xa1\xb2\x3c\x4d",
            b"\x0a\x0d\x0d\x0a",
        )
    ),
)
_IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".svg", ".webp"})


def not_a_log(path: str, sample: Sample) -> str | None:
    """Why the file no parser claimed is plainly not a log, or None (an error, then)."""
    name = os.path.basename(path)
    parts = PurePath(path).parts
    if "__MACOSX" in parts or name.startswith("._"):
        return "macOS archive metadata (__MACOSX or ._ resource fork)"
    if name.lower() in _FOLDER_METADATA:
        return "folder metadata"
    head = sample.head
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    extension = os.path.splitext(name)[1].lower()
    if extension in _COMPILED_EXTENSIONS:
        return "a program or compiled code"
    if extension == ".ipynb":
        return "a Jupyter notebook"
    if extension in _IMAGE_EXTENSIONS and (sample.text is None or extension == ".svg"):
        return "an image"
    if sample.text is None or sample.json_kind is not None:
        return None  # binary of no known kind, or JSON: an error worth reading
    if _DOC_NAMES.fullmatch(name):
        return "documentation"
    if extension in _DOC_EXTENSIONS and not _timed(sample.text):
        return "text in no known log format (documentation or notes)"
    if extension in _CONFIG_EXTENSIONS:
        return "a configuration file"
    if extension in _CODE_EXTENSIONS:
        return "a script or source file"
    if extension in _PAGE_EXTENSIONS:
        return "a web page"
    return None


def _timed(text: str) -> bool:
    """Whether most lines start with a date and time: a log farmhunt cannot read yet
    (a netlogon.log saved as .txt) is an error to see, not notes to skip."""
    lines = [line.lstrip("\ufeff") for line in text.splitlines()[:50] if line.strip()]
    timed = sum(1 for line in lines if _TIMED_LINE.match(line))
    return bool(lines) and timed * 2 >= len(lines)
