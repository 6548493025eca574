"""``import-patents`` and ``import-needs``: bulk import with a per-row error report.

Exit status: 0 all rows fine, 1 some rows refused (the valid ones are saved unless --dry-run),
2 the file (or an option) could not be used at all and nothing was written.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..encoders import counting
from ..errors import MatchmakerError
from ..ingest import ImportFileError, format_report, import_needs, import_patents
from .language import command, option

# Files with fewer rows finish before a bar would help.
PROGRESS_FROM_ROWS = 500


class _Progress:
    """A click progress bar on stderr, opened on the first report of a large file."""

    def __init__(self):
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            if not total or total < PROGRESS_FROM_ROWS:
                return
            self.bar = click.progressbar(length=total, label=_("importing"), file=click.get_text_stream("stderr"))
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _run(importer, path: str, sheet: str | None, dry_run: bool, notify: bool, **org) -> None:
    progress = _Progress()
    try:
        result = importer(path, sheet=sheet, dry_run=dry_run, progress=progress, notify=notify, **org)
    except ImportFileError as exc:
        progress.close()
        click.echo(_("Cannot import: %(error)s (nothing was written)", error=exc), err=True)
        raise SystemExit(2) from exc
    except MatchmakerError as exc:  # e.g. --owner naming an organization that does not exist
        progress.close()
        click.echo(_("Error: %(message)s", message=exc), err=True)
        raise SystemExit(2) from exc
    progress.close()
    click.echo(format_report(result))
    counting.echo_summary()  # "every document encoded once", for benchmarks
    if result.errors:
        raise SystemExit(1)


_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
_sheet = option("--sheet", default=None, help="Worksheet name (XLSX; default: the first).")
_dry_run = option("--dry-run", is_flag=True, help="Validate only; write nothing.")
_notify = option("--no-notify", "notify", is_flag=True, flag_value=False, default=True,
                       help="Do not send new-record alerts for the imported rows.")


@command("import-patents")
@_file
@_sheet
@_dry_run
@option("--owner", default=None, help="Organization (existing name) that owns every row.")
@_notify
@with_appcontext
def import_patents_command(file, sheet, dry_run, owner, notify) -> None:
    """Import patents from a CSV, TSV, XLSX or JSON Lines file."""
    _run(import_patents, file, sheet, dry_run, notify, owner=owner)


@command("import-needs")
@_file
@_sheet
@_dry_run
@option("--enterprise", "--owner", "enterprise", default=None,
              help="Enterprise (existing name) that posts every row.")
@_notify
@with_appcontext
def import_needs_command(file, sheet, dry_run, enterprise, notify) -> None:
    """Import technical needs from a CSV, TSV, XLSX or JSON Lines file."""
    _run(import_needs, file, sheet, dry_run, notify, enterprise=enterprise)
