"""Correlation rules for tests: two API-activity base rules and the correlation under test."""

from __future__ import annotations

import textwrap
from pathlib import Path

BASES = """\
title: clone
name: base_clone
logsource: {product: farmhunt, service: api_activity}
detection:
  sel: {api.operation: git.clone}
  condition: sel
level: low
---
title: zip
name: base_zip
logsource: {product: farmhunt, service: api_activity}
detection:
  sel: {api.operation: repo.download_zip}
  condition: sel
level: low
---
"""
"""Match rules a correlation refers to by name: base_clone and base_zip."""


def correlation_file(tmp_path: Path, body: str) -> Path:
    """A rule file holding the base rules and the (dedented) correlation ``body``."""
    path = tmp_path / "corr.yml"
    path.write_text(BASES + textwrap.dedent(body))
    return path
