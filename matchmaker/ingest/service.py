"""The import use cases: read, validate and upsert row by row, commit in batches, sync the index.

The whole file is read before anything is written: a file damaged half way writes nothing.
A job's retry after its worker was killed (``resumed_since``: when the job was queued) finds the
rows the killed attempt committed unchanged; written since then, they count as this import's
(created or updated), so they are still indexed, matched and announced.
Each valid row is written inside its own SAVEPOINT, so a row that fails while writing is rolled
back alone and never blocks the others; the rows are committed every ``IMPORT_BATCH_ROWS``
rows and at the end (a dry run rolls everything back), then the tables are analysed. Each batch
is a writer's transaction from its start (``extensions.begin_write``: on SQLite it waits for the
write lock instead of being refused half way). A database that refuses a write (busy,
connection lost) fails the import, for its job to try again, rather than a row. The matching
index and alert signals run only after the commit, and a failure there becomes a warning: it
never undoes the import.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Hashable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ..errors import PermissionDenied, ValidationError
from ..extensions import begin_write, db, yield_write_lock
from ..reasons import reason, reason_of
from ..records import Organization, OrgKind, Role, User
from ..services import audit, matching
from ..services.announcements import announce_new
from ..services.maintenance import analyze
from .base import Importer
from .columns import ColumnMapper
from .needs import NeedImporter
from .orgs import OrgResolver
from .patents import PatentImporter
from .readers import open_table
from .result import ImportFileError, ImportResult, Malformed, RowError, RowProblem, Uncomputed

logger = logging.getLogger(__name__)
#: times a batch asks for SQLite's write lock (each waits up to the busy timeout) before the
#: import gives up, for its job to try again later
BATCH_BEGIN_TRIES = 3

#: ``progress(rows_done, rows_total)``; ``rows_total`` is None when the file does not say.
Progress = Callable[[int, int | None], None]


def import_patents(stream_or_path, filename: str | None = None, *,
                   owner: Organization | str | None = None, actor: User | None = None,
                   dry_run: bool = False, progress: Progress | None = None,
                   sheet: str | None = None, notify: bool = True,
                   resumed_since: datetime | None = None,
                   follow_up: bool = False) -> ImportResult:
    """Import patents from CSV/TSV/XLSX/JSONL; ``owner`` pins every row to one organization.

    The changed rows are indexed and the new ones announced (``notify``) after the commit,
    unless ``follow_up``: then the caller does both (the import job's follow-up jobs,
    ``services.import_follow_up``)."""
    return _run(PatentImporter, stream_or_path, filename, org=owner, actor=actor,
                dry_run=dry_run, progress=progress, sheet=sheet, notify=notify,
                since=resumed_since, follow_up=follow_up)


def import_needs(stream_or_path, filename: str | None = None, *,
                 enterprise: Organization | str | None = None, actor: User | None = None,
                 dry_run: bool = False, progress: Progress | None = None,
                 sheet: str | None = None, notify: bool = True,
                 resumed_since: datetime | None = None,
                 follow_up: bool = False) -> ImportResult:
    """Import technical needs; ``enterprise`` pins every row to one enterprise (``notify``
    and ``follow_up`` as in :func:`import_patents`)."""
    return _run(NeedImporter, stream_or_path, filename, org=enterprise, actor=actor,
                dry_run=dry_run, progress=progress, sheet=sheet, notify=notify,
                since=resumed_since, follow_up=follow_up)


def _authorise(importer_cls: type[Importer], actor: User | None,
               org: Organization | str | None) -> tuple[Organization | None, bool]:
    """(the organization rows are pinned to, whether the actor is limited to it)."""
    if isinstance(org, str):
        name = org
        org = db.session.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            raise ValidationError(reason("No such organization: %(name)s", name=name),
                                  importer_cls.org_field)
    if actor is None or actor.role in (Role.ADMIN, Role.BROKER):
        return org, False
    allowed = Role.UNIVERSITY if importer_cls is PatentImporter else Role.ENTERPRISE
    patents = importer_cls is PatentImporter
    if actor.role is not allowed or actor.organization_id is None:
        raise PermissionDenied(reason("You cannot import patents") if patents
                               else reason("You cannot import needs"))
    if org is not None and org.id != actor.organization_id:
        raise PermissionDenied(reason("You can only import your own organization's patents")
                               if patents else
                               reason("You can only import your own organization's needs"))
    return actor.organization, True


def _run(importer_cls: type[Importer], source, filename: str | None, *, org, actor, dry_run,
         progress, sheet, notify, since: datetime | None = None,
         follow_up: bool = False) -> ImportResult:
    name = filename or (Path(source).name if isinstance(source, str | os.PathLike) else "upload")
    forced, restricted = _authorise(importer_cls, actor, org)
    table = open_table(source, filename or os.fspath(name), sheet=sheet)
    kind = OrgKind.ENTERPRISE if importer_cls is NeedImporter else None
    importer = importer_cls(OrgResolver(importer_cls.org_field, forced, kind), actor, restricted)
    mapper = ColumnMapper(importer.specs)
    if table.headers is not None:
        missing = mapper.missing(table.headers, importer.required())
        if missing:
            raise ImportFileError(reason(
                "Required columns missing: %(columns)s",
                columns=[mapper.describe(field) for field in missing]))
    result = ImportResult(kind=importer.kind, filename=name, dry_run=dry_run)
    batch = int(current_app.config["IMPORT_BATCH_ROWS"])
    committed = 0  # of result.changed_ids
    # Open the outer transaction now so each row's SAVEPOINT nests inside it (on SQLite this
    # relies on the BEGIN recipe in matchmaker.extensions).
    _begin_batch()
    try:
        seen: dict[Hashable, int] = {}
        for done, (row, record) in enumerate(table.rows, start=1):
            _import_row(importer, mapper, row, record, seen, result, since)
            if progress is not None:
                progress(done, table.total)
            if not dry_run and done % batch == 0:
                # A batch of whole rows: a long file never holds one transaction open, and
                # on SQLite a request waiting to write gets the lock between two batches.
                db.session.commit()
                committed = len(result.changed_ids)
                yield_write_lock()
                _begin_batch()
        result.warnings[:0] = [*table.warnings, *mapper.warnings]
        if result.rows == 0:
            result.warnings.append(reason("The file has no data rows"))
        result.organizations_created = list(importer.orgs.created)
        if dry_run:
            db.session.rollback()
        else:
            audit.record(
                f"{importer.kind[:-1]}_import", actor, f"file:{name}"[:120], rows=result.rows,
                created=result.created, updated=result.updated, unchanged=result.unchanged,
                failed=result.failed,
            )
            db.session.commit()
    except BaseException as exc:
        db.session.rollback()
        if committed and isinstance(exc, Exception):
            _interrupted(result, committed)
        raise
    if dry_run:
        result.changed_ids, result.created_ids = [], []  # those ids were rolled back
    else:
        if result.created or result.updated:
            analyze()  # a bulk load changes row counts the planner relies on
        if not follow_up:
            _after_commit(result, notify)
    return result


def _begin_batch() -> None:
    """Open the transaction of the next batch of rows as a writer's (``begin_write``); asking
    again when SQLite's write lock stayed taken for a whole busy timeout."""
    for attempt in range(1, BATCH_BEGIN_TRIES + 1):
        try:
            begin_write()
            return
        except OperationalError:
            db.session.rollback()
            if attempt == BATCH_BEGIN_TRIES:
                raise
            logger.warning("import: the database stayed locked, asking again (%d)", attempt)


def _interrupted(result: ImportResult, committed: int) -> None:
    """The import stopped after some batches were committed: those rows stay (whole rows only),
    so the search index gets them now; a new run of the file reports them as unchanged."""
    logger.error("import of %s stopped after %d committed rows changed; syncing those",
                 result.filename, committed)
    del result.changed_ids[committed:]
    try:
        _sync_index(result)
    except Exception:  # best effort: the index rebuild picks them up too
        db.session.rollback()
        logger.exception("index sync of an interrupted import failed")


def _import_row(importer: Importer, mapper: ColumnMapper, row: int, record: Any,
                seen: dict[Hashable, int], result: ImportResult,
                since: datetime | None = None) -> None:
    """Validate one row and write it in its own savepoint; problems become RowErrors."""
    result.rows += 1
    if isinstance(record, Malformed):
        result.errors.append(RowError(row, None, record.reason))
        return
    raw, columns = mapper.map(record)

    def error(field: str | None, reason: str) -> RowError:
        column = columns.get(field) or (importer.specs[field].label if field else None)
        return RowError(row, field, reason, column)

    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for field, value in raw.items():
        if isinstance(value, Uncomputed):  # its value would silently read as empty
            errors.append(error(field, reason(
                "A formula cell has no calculated value: open the file in Excel or WPS, save "
                "it, then import it again")))
            continue
        try:
            values[field] = importer.specs[field].parse(value)
        except ValidationError as exc:
            errors.append(error(field, reason_of(exc)))
        except (ArithmeticError, TypeError, ValueError):  # a cell no parser foresaw: this row
            logger.exception("import row %d, field %s: unreadable value", row, field)
            errors.append(error(field, reason("This value cannot be read")))
    failed = {e.field for e in errors}
    for field in importer.required():
        if values.get(field) is None and field not in failed:
            errors.append(error(field, reason("A required field is empty") if field in columns
                                else reason("A required field is missing")))
    errors.extend(error(field, reason) for field, reason in importer.check(values))
    key = importer.key(values) if importer.key_field not in failed else None
    if key is not None:
        if key in seen:
            errors.append(error(importer.duplicate_field(key), importer.duplicate_reason(seen[key])))
        else:
            seen[key] = row
    if errors:
        result.errors.extend(errors)
        return
    try:
        with db.session.begin_nested():
            outcome, record_id = importer.write(values)
    except RowProblem as problem:
        importer.orgs.forget_unsaved()
        result.errors.append(error(problem.field, problem.reason))
        return
    except OperationalError:
        # The database refused the write (busy, connection lost): nothing about this row, and
        # the transaction may be unusable now. The import stops; its job tries it again.
        raise
    except SQLAlchemyError as exc:
        importer.orgs.forget_unsaved()
        logger.warning("import of %s row %s failed: %s", result.filename, row, exc)
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        result.errors.append(error(None, reason("Writing to the database failed: %(error)s",
                                                error=detail)))
        return
    if outcome == "unchanged" and since is not None:
        outcome = _written_since(importer, record_id, since)
    setattr(result, outcome, getattr(result, outcome) + 1)
    if outcome != "unchanged":
        result.changed_ids.append(record_id)
    if outcome == "created":
        result.created_ids.append(record_id)


def _written_since(importer: Importer, record_id: int, since: datetime) -> str:
    """What an earlier attempt of this import did to a record the file leaves unchanged now:
    "created" or "updated" when that happened since ``since``, else "unchanged"."""
    stored = db.session.get(importer.model, record_id)
    if stored is not None and stored.created_at >= since:
        return "created"
    if stored is not None and stored.updated_at is not None and stored.updated_at >= since:
        return "updated"
    return "unchanged"


def _after_commit(result: ImportResult, notify: bool) -> None:
    """Update the matching index, then tell alert subscribers about new records."""
    if result.changed_ids:
        _sync_index(result)
    if notify and result.created_ids:
        announce_new(result.kind, result.created_ids)


def _sync_index(result: ImportResult) -> None:
    sync = matching.sync_patents if result.kind == "patents" else matching.sync_needs
    try:
        sync(list(result.changed_ids))
    except Exception:  # the rows are committed; the index is rebuilt from the database later
        db.session.rollback()
        logger.exception("index sync after import of %s failed", result.filename)
        result.warnings.append(reason("The data was saved, but the search index was not updated; "
                                      "the next index rebuild adds it"))
