"""File readers: CSV/TSV, XLSX and JSON Lines behind one interface.

Each reader turns bytes into a :class:`Table` whose ``rows`` yield ``(row_number, record)``:
``row_number`` is what a person sees (the spreadsheet row, header = 1, for CSV and XLSX; the
line number for JSON Lines) and ``record`` maps column names to raw values, or is a
:class:`Malformed` when the row cannot be read at all. Fully empty rows are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from flask import current_app

from ..reasons import reason
from .result import ImportFileError, Malformed, Uncomputed

log = logging.getLogger(__name__)
Record = dict[str, Any] | Malformed
# Members smaller than this are never refused for their ratio: a tiny, very regular XML part
# is harmless, only large inflating members cost memory.
_RATIO_FLOOR = 1024 * 1024


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


#: the file extensions a reader exists for (the CLI, the upload page and the API take the same)
FORMATS = ("csv", "tsv", "xlsx", "xlsm", "jsonl", "ndjson")


def open_table(source, filename: str | None = None, *, sheet: str | None = None,
               limits: Limits | None = None) -> Table:
    """Read ``source`` (a path, bytes or a binary stream); the extension of ``filename`` picks the reader."""
    limits = limits or Limits.from_config(current_app.config)
    name = filename or (os.fspath(source) if isinstance(source, str | os.PathLike) else "")
    ext = check_filename(name)
    data = _read_bytes(source)
    if ext in (".xlsx", ".xlsm"):
        return _xlsx(data, sheet, limits)
    if ext in (".jsonl", ".ndjson"):
        return _jsonl(data, limits)
    return _csv(data, "\t" if ext == ".tsv" else None, limits)


def check_filename(name: str) -> str:
    """The lower-case extension of ``name`` when a reader exists for it, else why not
    (:class:`ImportFileError`); the API checks an upload's name with this before queueing it."""
    ext = Path(name).suffix.lower()
    if ext == ".xls":
        raise ImportFileError(reason("Old Excel files (.xls) are not supported: save the file as .xlsx in Excel and import that"))
    if ext not in {f".{e}" for e in FORMATS}:
        raise ImportFileError(reason(
            "Unsupported file type “%(ext)s”: use a .csv, .tsv, .xlsx, .jsonl or .ndjson file",
            ext=ext or name or "?"))
    return ext


def _read_bytes(source) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise ImportFileError(reason("Cannot read the file %(path)s: %(error)s",
                                         path=os.fspath(source), error=exc.strerror or str(exc))) from exc
    read = getattr(source, "read", None)
    if read is None:
        raise ImportFileError(reason("Cannot read the uploaded file"))
    data = read()
    # A text stream was handed in: its characters are already decoded, keep them exactly.
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


# --- CSV ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes strictly: BOM, else UTF-8, else GB18030 (a superset of GBK); never replace."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's "Unicode text" export
    else:
        candidates = ["utf-8", "gb18030"]
    first_failure: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            first_failure = first_failure or exc
    line = data[: first_failure.start].count(b"\n") + 1
    tried = [reason("UTF-8 (with BOM)") if e.startswith("utf-8") else e.upper() for e in candidates]
    raise ImportFileError(reason(
        "Unknown text encoding: tried %(tried)s, each met invalid bytes near line %(line)d (%(bytes)s). "
        "Save the file as a UTF-8 CSV and import that.", tried=tried, line=line,
        bytes=first_failure.object[first_failure.start:first_failure.start + 4].hex(" ")))


def _pick_delimiter(text: str) -> str:
    """Comma unless the header has none and the Sniffer is sure about tab or semicolon."""
    lines = [line for line in text.splitlines() if line.strip()][:6]
    if not lines or "," in lines[0]:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters="\t;")
    except csv.Error:
        return ","
    widths = {len(row) for row in csv.reader(lines, delimiter=dialect.delimiter)}
    # "Sure" means the header splits and every sampled line splits into the same width.
    return dialect.delimiter if len(widths) == 1 and widths.pop() > 1 else ","


#: csv's ``field_size_limit`` is one setting for the whole process, see :func:`_allow_fields`
_FIELD_LIMIT_LOCK = threading.Lock()


def _allow_fields(chars: int) -> None:
    """Let the csv module read cells of up to ``chars`` characters.

    Its default limit (131,072) fails the whole file on one long cell, with the parser's
    English words. A cell cannot be longer than the decoded file, which is already in memory
    (and an upload is capped by ``MAX_CONTENT_LENGTH``), so the limit is raised to that length:
    an over-long cell becomes the row's own error (the field's length rule, or "the row is too
    long"). The setting is process-wide: it is only ever raised, under a lock, so that no
    parse in another thread sees it lowered under it.
    """
    with _FIELD_LIMIT_LOCK:
        if csv.field_size_limit() < chars:
            csv.field_size_limit(chars)


def _csv(data: bytes, delimiter: str | None, limits: Limits) -> Table:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(reason("This file looks like an Excel (.xlsx) file, not a CSV: name it .xlsx"))
    text, _encoding = decode_text(data)
    if "\x00" in text:
        raise ImportFileError(reason("The file holds binary content (NUL characters): it is not a text CSV file"))
    _allow_fields(len(text) + 1)
    delimiter = delimiter or _pick_delimiter(text)
    records: list[list[str]] = []
    # strict: a quoted cell that is never closed is an error, not a cell that swallows every
    # line after it (the rows there would be lost without a word).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    starts = 1  # the line the next record starts on
    try:
        for record in reader:
            records.append(record)
            starts = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(_csv_error(str(exc), starts, reader.line_num)) from exc
    del text
    filled = sum(1 for record in records if not _is_empty(record))
    return _tabular(enumerate(records, start=1), lambda _header_row: max(filled - 1, 0),
                    max_row_chars=limits.max_line_chars)


def _csv_error(message: str, starts: int, line: int) -> str:
    """Why the csv parser stopped, in the reader's language (never the parser's English)."""
    if "end of data" in message:  # end of file inside quotes
        return reason("CSV format error: the quoted cell in line %(line)d is never closed (a stray "
                      "quotation mark?); nothing was imported", line=starts)
    if "expected after" in message:  # strict: text right after a quoted cell's closing quote
        return reason("CSV format error near line %(line)d: a quotation mark inside a quoted cell "
                      "must be doubled (\"\"), or the cell must end at the closing quotation "
                      "mark; nothing was imported", line=line)
    log.info("unreadable CSV near line %d: %s", line, message)
    return reason("CSV format error near line %(line)d; nothing was imported", line=line)


# --- shared by CSV and XLSX --------------------------------------------------------------


def _is_empty(cells) -> bool:
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


def _tabular(numbered, total: Callable[[int], int | None], *, strict_width: bool = True,
             max_row_chars: int | None = None) -> Table:
    """Find the header (first non-empty row) and build a Table over the rows after it.

    A row whose text cells hold more than ``max_row_chars`` characters in all is a row error
    (as an over-long JSON line is); shorter over-long cells meet their field's length rule.
    """
    numbered = iter(numbered)
    warnings: list[str] = []
    for number, cells in numbered:
        if not _is_empty(cells):
            header_row, names = number, _headers(cells, number, warnings)
            break
    else:
        raise ImportFileError(reason("The file is empty: no header row found"))
    while names and names[-1] is None:
        names.pop()

    def rows() -> Iterator[tuple[int, Record]]:
        unnamed_warned = False
        for number, cells in numbered:
            if _is_empty(cells):
                continue
            chars = _row_chars(cells) if max_row_chars is not None else 0
            if max_row_chars is not None and chars > max_row_chars:
                yield number, Malformed(_too_long(chars, max_row_chars))
                continue
            extra = cells[len(names):]
            if not _is_empty(extra):
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
                elif not unnamed_warned and not _is_empty([cell]):
                    warnings.append(reason("Cells in columns without a name were ignored"))
                    unnamed_warned = True
            yield number, record

    return Table(rows(), [n for n in names if n is not None], total(header_row), warnings)


# --- XLSX --------------------------------------------------------------------------------


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: openpyxl reports that in its own words
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed:
        raise ImportFileError(reason(
            "The Excel file unpacks to %(size)d MB, over the limit of %(limit)d MB; split it into "
            "smaller files", size=round(total / 1e6), limit=round(limits.max_uncompressed / 1e6)))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise ImportFileError(reason(
                "“%(member)s” in the Excel file is compressed too much (%(ratio)d:1, limit "
                "%(limit)d:1); it may be a crafted file and was not imported",
                member=member.filename, ratio=round(ratio), limit=round(limits.max_ratio)))


def _xlsx(data: bytes, sheet: str | None, limits: Limits) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        # the library's own words ("File is not a zip file") help nobody who uploads a file
        log.info("unreadable .xlsx upload: %s", exc)
        raise ImportFileError(reason(
            "The file is not a valid Excel workbook (.xlsx): save it again as .xlsx or CSV "
            "from Excel or WPS")) from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        names = list(workbook.sheetnames)
        workbook.close()
        raise ImportFileError(reason("No worksheet “%(sheet)s”; the file has: %(names)s",
                                     sheet=sheet, names=names))
    worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    # The whole sheet is read now, as a CSV is decoded whole: a sheet damaged after row 500
    # once failed the import after its first batch of rows was committed.
    try:
        # openpyxl keeps the sheet's part name only there (read-only mode)
        uncomputed = _uncomputed_formulas(data, worksheet._worksheet_path)
        rows = list(_sheet_rows(worksheet, uncomputed))
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError) as exc:
        # the library's own words are English and name XML internals: logged, not shown
        log.info("damaged worksheet: %s", exc)
        raise ImportFileError(reason(
            "The Excel file is damaged and cannot be read: save it again in Excel or WPS "
            "and import the new file")) from exc
    finally:
        workbook.close()

    def total(header_row: int) -> int:
        return sum(1 for number, cells in rows if number > header_row and not _is_empty(cells))

    return _tabular(iter(rows), total, strict_width=False)


def _sheet_rows(worksheet, uncomputed: dict[int, dict[int, str]]) -> Iterator[tuple[int, list]]:
    """(row number, cell values); a formula cell without a calculated value is :class:`Uncomputed`."""
    for cells in worksheet.iter_rows():
        # Empty rows carry no row number in read-only mode; they are skipped anyway.
        number = next((c.row for c in cells if getattr(c, "row", None)), None)
        if number is None:
            continue
        values = [c.value for c in cells]
        for column, formula in uncomputed.get(number, {}).items():
            values.extend([None] * (column - len(values)))
            values[column - 1] = Uncomputed(formula)
        yield number, values


def _uncomputed_formulas(data: bytes, member: str) -> dict[int, dict[int, str]]:
    """{row: {column: formula}} of the formula cells stored without a calculated value.

    openpyxl (``data_only``) reads such a cell as empty, so a price or a date silently went
    missing. The cell's XML tells them apart: a calculated value is ``<v>``, and an empty
    ``<v>`` is an empty text only in a text-typed cell (``t="str"``, e.g. ``=IF(A2="","",A2)``
    saved by Excel).
    """
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse  # defusedxml's, as openpyxl's own reader

    found: dict[int, dict[int, str]] = {}
    row = column = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(member.lstrip("/")) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    row, column = int(element.get("r") or row + 1), 0
                continue
            if tag == "c":
                ref = element.get("r")
                row, column = coordinate_to_tuple(ref) if ref else (row, column + 1)
                parts = {child.tag.rpartition("}")[2]: child for child in element}
                value = parts.get("v")
                if ("f" in parts and (value is None or not value.text)
                        and element.get("t") != "str"):
                    found.setdefault(row, {})[column] = parts["f"].text or ""
            elif tag == "row":
                element.clear()  # a large sheet is never held whole as XML
    return found


# --- JSON Lines --------------------------------------------------------------------------


def _too_long(n: int, limit: int) -> str:
    return reason("The row is too long (%(n)d characters, limit %(limit)d); it was not imported",
                  n=n, limit=limit)


#: what the json parser's (English) messages mean, by how they start; each shown translated
_JSON_PROBLEMS = (
    ("Expecting property name", "a key is not in double quotes (or a comma is left before “}”)"),
    ("Expecting ':'", "a colon is missing after a key"),
    ("Expecting ','", "a comma is missing between two items"),
    ("Expecting value", "a value is missing or is not valid JSON (text goes in double quotes)"),
    ("Unterminated string", "a text value is not closed with a double quote"),
    ("Invalid control character", "a text value holds a control character such as a tab; "
                                  "write it escaped"),
    ("Invalid \\", "a backslash escape is not valid (a backslash itself is written as two)"),
    ("Extra data", "more than one JSON value on the line"),
)


def json_error(exc: json.JSONDecodeError) -> str:
    """A JSON syntax error as a translated reason: where, and what kind when it is a common one
    (the parser's own message is English, so it is never shown)."""
    for prefix, problem in _JSON_PROBLEMS:
        if exc.msg.startswith(prefix):
            return reason("JSON format error at character %(column)d: %(problem)s; the row was not "
                          "imported", column=exc.colno, problem=reason(problem))
    return reason("JSON format error at character %(column)d; the row was not imported",
                  column=exc.colno)


def _too_deep(value: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _json_line(line: str, limits: Limits) -> Record:
    """One JSON Lines record, or why it is refused (length and nesting checked first)."""
    if len(line) > limits.max_line_chars:
        return Malformed(_too_long(len(line), limits.max_line_chars))
    # Brackets bound the depth from above: only lines with many of them are walked.
    bracketed = line.count("[") + line.count("{") > limits.max_depth
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return Malformed(json_error(exc))
    except ValueError:  # an integer of thousands of digits (int_max_str_digits)
        return Malformed(reason("A number in this row is too long; the row was not imported"))
    except RecursionError:
        value = None
        bracketed = True
    if bracketed and (value is None or _too_deep(value, limits.max_depth)):
        return Malformed(reason("JSON nested deeper than %(limit)d levels; the row was not imported",
                                limit=limits.max_depth))
    if not isinstance(value, dict):
        return Malformed(reason("Each line must be one JSON object ({...})"))
    return value


def _jsonl(data: bytes, limits: Limits) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(reason("A JSON Lines file must be UTF-8: invalid bytes in line %(line)d",
                                     line=line)) from exc
    # Records end at "\n" only: U+2028, U+0085 and the like are text inside a JSON string.
    lines = [line.removesuffix("\r") for line in text.split("\n")]

    def rows() -> Iterator[tuple[int, Record]]:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, _json_line(line, limits)

    return Table(rows(), None, sum(1 for line in lines if line.strip()))
