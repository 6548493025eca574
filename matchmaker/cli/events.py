"""Release-event commands: the booklet as PDF and the follow-up funnel as CSV."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from ..errors import MatchmakerError
from .language import command, option
from .output import CommandError


def _event(event_id: int):
    from ..services.events import get_event

    try:
        return get_event(event_id)
    except MatchmakerError as exc:
        raise CommandError(_("event %(id)d: %(error)s", id=event_id, error=str(exc))) from exc


def _locale(locale: str | None):
    return force_locale(locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN"))


@command("event-booklet")
@click.argument("event_id", type=int)
@option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the PDF.",
)
@option("--locale", default=None, help="Language of the booklet's labels (zh_CN, en).")
@with_appcontext
def event_booklet(event_id: int, out: Path, locale: str | None) -> None:
    """Write the booklet of release event EVENT_ID as a PDF file."""
    from ..booklet import booklet_pdf

    event = _event(event_id)
    try:
        with _locale(locale):
            data = booklet_pdf(event, current_app.config)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)  # never leave half a PDF under the requested name
    click.echo(_("booklet of %(number)s: %(patents)d patents, %(size)d bytes -> %(path)s",
                 number=event.number, patents=len(event.listings), size=len(data), path=str(out)))


@command("event-funnel")
@click.argument("event_id", type=int)
@option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write one row per pair to this CSV file.",
)
@with_appcontext
def event_funnel(event_id: int, csv_path: Path | None) -> None:
    """Print the follow-up funnel of EVENT_ID (pairs, contacted, ..., registered, amount)."""
    from ..services.funnel import STAGES, event_funnel, funnel_csv

    event = _event(event_id)
    funnel = event_funnel(event)
    totals = funnel.totals
    click.echo(f"{event.number} {event.name}")
    for key, stage, _level in STAGES:
        click.echo(f"  {_pad(str(stage), 12)}{getattr(totals, key):>6}")
    click.echo(f"  {_pad(_('Amount'), 12)}{totals.amount:>10} " + _("(10k yuan)"))
    if csv_path is not None:
        csv_path.write_text(funnel_csv(funnel), encoding="utf-8")
        click.echo(_("%(n)d pairs -> %(path)s", n=len(funnel.pairs), path=str(csv_path)))


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width (CJK characters take two columns)."""
    return text + " " * max(width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text), 1)


COMMANDS = [event_booklet, event_funnel]
