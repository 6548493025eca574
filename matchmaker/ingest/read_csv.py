"""The CSV/TSV reader: strict decoding (BOM, UTF-8, GB18030), the delimiter guess, the csv
module's process-wide cell size limit and the parser's errors in the reader's language; the rows
become a :class:`~.table.Table` through the shared header and row rules of :mod:`.table`.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import threading

from ..reasons import reason
from .result import ImportFileError
from .table import Limits, Table, is_empty, tabular

log = logging.getLogger(__name__)


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
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_failure = first_failure or exc
            continue
        if encoding == "gb18030":
            _refuse_private_use(text)
        return text, encoding
    line = data[: first_failure.start].count(b"\n") + 1
    tried = [reason("UTF-8 (with BOM)") if e.startswith("utf-8") else e.upper() for e in candidates]
    raise ImportFileError(reason(
        "Unknown text encoding: tried %(tried)s, each met invalid bytes near line %(line)d (%(bytes)s). "
        "Save the file as a UTF-8 CSV and import that.", tried=tried, line=line,
        bytes=first_failure.object[first_failure.start:first_failure.start + 4].hex(" ")))


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _refuse_private_use(text: str) -> None:
    """Refuse a file that decodes as GB18030 only into private-use characters.

    Office software writing GBK or GB18030 never produces them, but the bytes of other
    encodings often decode into them (a Big5 file, whose byte pairs are valid GB18030 too,
    becomes garbled text with characters of the user-defined area). Without this check such a
    file imported as nonsense, with no error.
    """
    found = _PRIVATE_USE.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    raise ImportFileError(reason(
        "The file decodes as GB18030 only with unassigned characters near line %(line)d: it is "
        "probably in another encoding, such as Big5. Save the file as a UTF-8 CSV and import "
        "that.", line=line))


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


def csv_table(data: bytes, delimiter: str | None, limits: Limits) -> Table:
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
    filled = sum(1 for record in records if not is_empty(record))
    return tabular(enumerate(records, start=1), lambda _header_row: max(filled - 1, 0),
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
