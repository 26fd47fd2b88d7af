"""Read CSV files: UTF-8 text with faults placed exactly, and a table for drafting a project.

`decode` serves both readers: the training loader (service.train.data), which
validates a file against a project, and `make init` (read_table), which reads
one before there is a project and stops at the first fault.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from service.errors import StoplineError

_BOM = b"\xef\xbb\xbf"


class DraftError(StoplineError):
    """The data cannot be drafted from; the message names the line, row or column at fault."""


@dataclass(frozen=True)
class Table:
    """A CSV's header and rows, every cell stripped of surrounding whitespace."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def decode(data: bytes) -> str:
    """Give the text of UTF-8 bytes, a byte-order mark dropped; raise DraftError at the first bad byte."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start  # counted from the start of the file, mark included
        line = data[:offset].count(b"\n") + 1
        raise DraftError(f"line {line}: byte offset {offset} is not UTF-8") from None


def _check_header(header: tuple[str, ...]) -> None:
    for position, name in enumerate(header, start=1):
        if not name:
            raise DraftError(f"header: column {position} has no name")
        if header.count(name) > 1:
            raise DraftError(f"header: column {name!r} appears {header.count(name)} times")


def read_table(text: str) -> Table:
    """Give the header and rows of CSV text; raise DraftError at the first fault."""
    if not text.strip():
        raise DraftError("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = tuple(cell.strip() for cell in next(reader))
        _check_header(header)
        for number, row in enumerate(reader, start=1):
            if len(row) != len(header):
                raise DraftError(f"row {number} (line {reader.line_num}): {len(row)} fields, "
                                 f"the header has {len(header)}")
            rows.append(tuple(cell.strip() for cell in row))
    except csv.Error as exc:
        raise DraftError(f"line {reader.line_num}: {exc}") from None
    if not rows:
        raise DraftError("the header has no data rows under it")
    return Table(header, tuple(rows))
