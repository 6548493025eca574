"""What an import reports back: per-row errors, counts, warnings and the ids that changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ValidationError


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (format, encoding, missing columns); nothing is written."""

    def __init__(self, message: str):
        super().__init__(message, "file")


@dataclass(frozen=True)
class RowError:
    """One problem in one row: ``row`` as a person sees it, the field code, a Chinese reason.

    ``column`` is the header as written in the file (or the field's Chinese label when the
    file has no such column), so a report can point people at what they typed.
    """

    row: int
    field: str | None
    reason: str
    column: str | None = None

    @property
    def where(self) -> str:
        """The column name to show in a report."""
        return self.column or self.field or "-"


@dataclass(frozen=True)
class Malformed:
    """A row a reader could not turn into a mapping (bad JSON, shifted CSV columns)."""

    reason: str


@dataclass(frozen=True)
class Uncomputed:
    """A spreadsheet formula cell saved without its calculated value (files written by openpyxl
    and other tools that do not calculate): its value is unknown, never empty."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}"


class RowProblem(Exception):
    """Raised while writing one row; the row's savepoint is rolled back and the row reported."""

    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class ImportResult:
    """Counts and reports of one import; in a dry run the counts say what would have happened."""

    kind: str  # "patents" or "needs"
    filename: str
    dry_run: bool = False
    rows: int = 0  # data rows read (empty rows not counted)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)  # created or updated, committed
    created_ids: list[int] = field(default_factory=list)
    organizations_created: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """How many rows were refused (a row with several errors counts once)."""
        return len({error.row for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def patent_ids(self) -> list[int]:
        """Ids of patents created or updated (empty for a needs import or a dry run)."""
        return list(self.changed_ids) if self.kind == "patents" else []

    @property
    def need_ids(self) -> list[int]:
        """Ids of needs created or updated (empty for a patents import or a dry run)."""
        return list(self.changed_ids) if self.kind == "needs" else []
