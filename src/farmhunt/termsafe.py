"""Making attacker-controlled text safe for a terminal.

A shared bottom-layer module (not in ``cli/``) because every layer that prints, the
command line and the benchmark's view alike, needs it, and a lower layer must not
import the command line.

Host names, process names and user names in logs are chosen by the people farmhunt
hunts. Printed raw, an escape sequence could rewrite the analyst's screen, and Rich
markup in a name (``[link=…]``) could be interpreted; everything from a log goes
through :func:`text` before it is shown. File paths the user typed are treated the
same way: a folder may be called ``r[bold]x`` or hold an escape character.

:func:`clean` alone strips control characters but does not stop Rich markup, so its
output must never be interpolated into a string that is printed as markup; wrap the
whole line in :func:`text` instead.
"""

from __future__ import annotations

import re

from rich.text import Text

PATH_LIMIT = 1000
"""Characters of a line that names a file: paths are shown whole, not cut at 200."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object, limit: int = 200) -> str:
    """Printable text: control, bidi-override and zero-width characters made visible
    (the HTML report writes them the same way: ``farmhunt.report.values.visible``,
    which keeps tab, new line and carriage return for layout)."""
    raw = "" if value is None else str(value)
    shown = _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        raw.replace("\n", "\\n").replace("\t", " "),
    )
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def text(value: object, style: str = "", limit: int = 200) -> Text:
    """A Rich Text of :func:`clean`'s output: never interpreted as markup."""
    return Text(clean(value, limit), style=style)
