"""CSV rows with their line numbers, and an unbalanced quote told from a quoted newline.

A quoted cell may hold line breaks (an address on three lines), so a CSV reader keeps
reading lines until the quote closes. A stray opening quote (``"Jane`` typed in a
cell) never closes where it should: the reader swallows the following rows into one
cell until some later quote ends it, and the rows after the stray quote were lost
inside one quarantined record with a misleading reason ("row has 31 cells"). Here a
row that spans several lines and has, among its continuation lines, one that is a
complete row of its own (the header's number of cells, balanced quotes) is taken for
an unbalanced quote: its first line is quarantined as such and the lines after it are
read again as rows. A genuine multi-line cell ends with its closing quote, an odd
number of quotes on its last line, and rarely holds a whole row's delimiters.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass


class _Lines:
    """Lines for ``csv.reader`` that remembers which (numbered) lines each row took and
    can put lines back to be read again."""

    def __init__(self, source: Iterator[str]) -> None:
        self.source = source
        self.back: list[tuple[int, str]] = []
        self.taken: list[tuple[int, str]] = []
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.back:
            item = self.back.pop()
        else:
            text = next(self.source)
            self.number += 1
            item = (self.number, text)
        self.taken.append(item)
        return item[1]

    def take(self) -> list[tuple[int, str]]:
        taken, self.taken = self.taken, []
        return taken

    def put_back(self, lines: list[tuple[int, str]]) -> None:
        self.back.extend(reversed(lines))


@dataclass(frozen=True)
class CsvRow:
    """One parsed row (or the reason it could not be parsed) and its first line."""

    line: int
    cells: list[str] | None
    error: str | None = None
    text: str = ""
    """The row's first line, for a quarantine record of an unbalanced quote."""


def csv_rows(lines: Iterator[str], delimiter: str, width: int) -> Iterator[CsvRow]:
    """Rows of ``lines`` numbered by their first line; ``width`` is the header's cells."""
    source = _Lines(lines)
    reader = csv.reader(source, delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            taken = source.take()
            yield CsvRow(taken[0][0] if taken else source.number, None, f"malformed CSV: {exc}")
            continue
        taken = source.take()
        if not taken:
            return
        line = taken[0][0]
        if len(taken) > 1 and any(_whole_row(text, delimiter, width) for _, text in taken[1:]):
            source.put_back(taken[1:])
            yield CsvRow(
                line,
                None,
                f"unbalanced quote in line {line}: a quoted cell runs on over the next "
                "rows; this line is quarantined and the rows after it are read",
                taken[0][1].rstrip("\r\n"),
            )
            continue
        yield CsvRow(line, cells)


def _whole_row(text: str, delimiter: str, width: int) -> bool:
    """Whether one physical line is by itself a complete row of ``width`` cells."""
    if width < 3 or text.count('"') % 2:
        return False
    try:
        [cells] = list(csv.reader([text], delimiter=delimiter))
    except (csv.Error, ValueError):
        return False
    return len(cells) == width and bool(cells[0].strip())
