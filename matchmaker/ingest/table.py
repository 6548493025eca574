"""What every file reader shares: the :class:`Table` it returns, the :class:`Limits` it reads
under, and the row helpers of the spreadsheet-shaped formats (CSV/TSV and XLSX): finding the
header row, naming the columns and turning each later row into a record or a row error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..reasons import reason
from .result import ImportFileError, Malformed

Record = dict[str, Any] | Malformed


@dataclass(frozen=True)
class Limits:
    """What a file may cost to read; the values come from the app config (see config.py)."""

    max_uncompressed: int
    max_ratio: float
    max_line_chars: int  # one JSON Lines line, or one CSV/TSV row's cells together
    max_depth: int

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_uncompressed=int(config["MAX_UNCOMPRESSED_BYTES"]),
            max_ratio=float(config["MAX_COMPRESSION_RATIO"]),
            max_line_chars=int(config["JSONL_MAX_LINE_CHARS"]),
            max_depth=int(config["JSONL_MAX_DEPTH"]),
        )


@dataclass
class Table:
    """Rows of one file; ``headers`` is None for JSON Lines, where keys vary per line."""

    rows: Iterator[tuple[int, Record]]
    headers: list[str] | None
    total: int | None  # data rows expected, for progress bars (None when unknown)
    warnings: list[str] = field(default_factory=list)


def too_long(n: int, limit: int) -> str:
    return reason("The row is too long (%(n)d characters, limit %(limit)d); it was not imported",
                  n=n, limit=limit)


# --- shared by CSV and XLSX --------------------------------------------------------------


def is_empty(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _headers(cells, row_number: int, warnings: list[str]) -> list[str | None]:
    """Header names; a repeated name keeps its first column (the later one is ignored)."""
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        name = str(cell).replace("\ufeff", "").strip() if cell is not None else ""
        if not name:
            names.append(None)
        elif name in seen:
            warnings.append(reason(
                "Header row %(row)d: the column name “%(name)s” repeats (columns %(first)d and "
                "%(second)d); only column %(first)d is used", row=row_number, name=name,
                first=seen[name], second=index))
            names.append(None)
        else:
            seen[name] = index
            names.append(name)
    return names


def _row_chars(cells) -> int:
    return sum(len(c) for c in cells if isinstance(c, str))


def tabular(numbered, total: Callable[[int], int | None], *, strict_width: bool = True,
             max_row_chars: int | None = None) -> Table:
    """Find the header (first non-empty row) and build a Table over the rows after it.

    A row whose text cells hold more than ``max_row_chars`` characters in all is a row error
    (as an over-long JSON line is); shorter over-long cells meet their field's length rule.
    """
    numbered = iter(numbered)
    warnings: list[str] = []
    for number, cells in numbered:
        if not is_empty(cells):
            header_row, names = number, _headers(cells, number, warnings)
            break
    else:
        raise ImportFileError(reason("The file is empty: no header row found"))
    while names and names[-1] is None:
        names.pop()

    def rows() -> Iterator[tuple[int, Record]]:
        unnamed_warned = False
        for number, cells in numbered:
            if is_empty(cells):
                continue
            chars = _row_chars(cells) if max_row_chars is not None else 0
            if max_row_chars is not None and chars > max_row_chars:
                yield number, Malformed(too_long(chars, max_row_chars))
                continue
            extra = cells[len(names):]
            if not is_empty(extra):
                if strict_width:  # in a CSV this usually means an unquoted comma shifted the row
                    yield number, Malformed(reason(
                        "The row has %(n)d columns, more than the header's %(header)d (an unquoted "
                        "comma?); the row was not imported", n=len(cells), header=len(names)))
                    continue
                if not unnamed_warned:
                    warnings.append(reason("Cells beyond the header's columns were ignored"))
                    unnamed_warned = True
            record = {}
            for name, cell in zip(names, cells, strict=False):
                if name is not None:
                    record[name] = cell
                elif not unnamed_warned and not is_empty([cell]):
                    warnings.append(reason("Cells in columns without a name were ignored"))
                    unnamed_warned = True
            yield number, record

    return Table(rows(), [n for n in names if n is not None], total(header_row), warnings)
