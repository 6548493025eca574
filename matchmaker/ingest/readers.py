"""File readers: CSV/TSV, XLSX and JSON Lines behind one interface.

Each reader turns bytes into a :class:`Table` whose ``rows`` yield ``(row_number, record)``:
``row_number`` is what a person sees (the spreadsheet row, header = 1, for CSV and XLSX; the
line number for JSON Lines) and ``record`` maps column names to raw values, or is a
:class:`Malformed` when the row cannot be read at all. Fully empty rows are skipped.

This module is the front door: the formats taken, the file name check, and :func:`open_table`,
which reads the bytes and hands them to the format's reader (:mod:`.read_csv`,
:mod:`.read_xlsx`, :mod:`.read_jsonl`); what they share is in :mod:`.table`.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from ..reasons import reason
from .read_csv import csv_table
from .read_jsonl import jsonl_table
from .read_xlsx import xlsx_table
from .result import ImportFileError
from .table import Limits, Table

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
        return xlsx_table(data, sheet, limits)
    if ext in (".jsonl", ".ndjson"):
        return jsonl_table(data, limits)
    return csv_table(data, "\t" if ext == ".tsv" else None, limits)


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
