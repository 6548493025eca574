"""Import of patents and technical needs from CSV, XLSX and JSON Lines, with a per-row error report.

Call :func:`import_patents` / :func:`import_needs` (CLI and web upload use the same path);
column names, encodings and upsert keys are documented in ``docs/import-formats.md``.
"""

from .columns import NEED_FIELDS, PATENT_FIELDS, ColumnMapper, FieldSpec, normalise_header
from .readers import open_table
from .report import error_table, format_report, summary
from .result import ImportFileError, ImportResult, RowError
from .service import import_needs, import_patents
from .table import Table

__all__ = [
    "NEED_FIELDS",
    "PATENT_FIELDS",
    "ColumnMapper",
    "FieldSpec",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "Table",
    "error_table",
    "format_report",
    "import_needs",
    "import_patents",
    "normalise_header",
    "open_table",
    "summary",
]
