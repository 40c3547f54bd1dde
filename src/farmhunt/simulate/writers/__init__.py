"""Writers render activities as the raw files each vendor's product would produce.

Each writer owns one source's files under the output directory, receives every
activity of a day in time order, renders the ones its source would record, and writes
them straight out: nothing is held beyond one day.
"""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from datetime import date, datetime
from pathlib import Path
from typing import IO

from farmhunt.simulate.activities import Activity
from farmhunt.simulate.company import Company


class Writer(ABC):
    """One source's output."""

    def __init__(self, company: Company, out: Path) -> None:
        self.company = company
        self.out = out
        self.count = 0
        self._files: dict[Path, IO[str]] = {}
        self._created: set[Path] = set()

    def file(self, relative: str) -> IO[str]:
        """The open file at ``relative``, created on first use (so no empty files) and
        appended to when reopened after :meth:`close_files`."""
        path = self.out / relative
        handle = self._files.get(path)
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            mode = "a" if path in self._created else "w"
            handle = open(path, mode, encoding="utf-8", newline="\n")  # noqa: SIM115
            self._created.add(path)
            self._files[path] = handle
        return handle

    def close_files(self) -> None:
        """Close what is open (after each shard, so open files stay few)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def start(self) -> None:  # noqa: B027 - optional hook
        """Called once before the first day (headers, static files)."""

    def begin_day(self, day: date, part: str = "") -> None:  # noqa: B027 - optional hook
        """Called before a day's activities (``part`` names one shard of a large company)."""

    @abstractmethod
    def write(self, activity: Activity) -> None:
        """Render one activity if this source records it."""

    def end_day(self, day: date, part: str = "") -> None:  # noqa: B027 - optional hook
        """Called after a day's (or a shard's) activities."""

    def close(self) -> None:
        self.close_files()


def iso_ms(when: datetime) -> str:
    """RFC 3339 UTC with milliseconds and Z, as most SaaS APIs write it."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def uid(*parts: object, length: int = 16) -> str:
    """A stable pseudo-random id from its parts (same seed, same bytes)."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()[
        :length
    ]


def uid_int(*parts: object, digits: int = 9) -> int:
    value: int = int(uid(*parts, length=15), 16) % (10**digits)
    return value


def rng_for(*parts: object) -> random.Random:
    return random.Random(uid(*parts, length=16))


COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "DE": "Germany",
    "PL": "Poland",
    "IN": "India",
    "BR": "Brazil",
    "MX": "Mexico",
    "PH": "Philippines",
    "AU": "Australia",
    "UA": "Ukraine",
    "CN": "China",
    "RU": "Russia",
    "JP": "Japan",
    "NL": "Netherlands",
    "CZ": "Czechia",
}
REGION_NAMES = {
    "NY": "New York",
    "GA": "Georgia",
    "MD": "Maryland",
    "TX": "Texas",
    "IL": "Illinois",
    "TN": "Tennessee",
    "CO": "Colorado",
    "AZ": "Arizona",
    "WA": "Washington",
    "CA": "California",
    "ON": "Ontario",
    "BC": "British Columbia",
    "ENG": "England",
    "BE": "Berlin",
    "BY": "Bavaria",
    "MZ": "Mazowieckie",
    "KA": "Karnataka",
    "MH": "Maharashtra",
    "SP": "Sao Paulo",
    "NCR": "Metro Manila",
    "CMX": "Mexico City",
    "NSW": "New South Wales",
    "KV": "Kyiv City",
    "LN": "Liaoning",
    "PRI": "Primorsky Krai",
    "13": "Tokyo",
    "NH": "North Holland",
}
