"""The built-in demo: ``flask demo [--if-empty]`` and ``flask demo-accounts``."""

from __future__ import annotations

import os
import secrets
import unicodedata

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import MatchmakerError, ValidationError
from ..extensions import db
from ..labels import label
from ..records import Match, Need, NeedStatus, Role
from .language import command, option
from .output import CommandError


@command("demo")
@option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the database already holds patents or the demo.",
)
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load the demo data set, build the indexes, match, and simulate broker activity."""
    from ..demo.activity import simulate_activity
    from ..demo.seed import has_patents, is_seeded, seed_demo

    seeded = is_seeded()
    if if_empty and (seeded or has_patents()):
        click.echo(_("demo: the database is not empty; nothing loaded."))
        _list_accounts()  # what script/server shows at every later start
        return
    if seeded and _count(Match) > 0:
        raise CommandError(
            _("the demo data is already loaded and matched; use an empty database to load it again")
        )
    password = _password()
    if seeded:
        click.echo(_("demo data already seeded; continuing with indexing and matching"))
    else:
        click.echo(_("seeding the demo data ..."))
        try:
            counts = seed_demo(password, progress=lambda message: click.echo(f"  {message}"))
        except ValidationError as exc:
            raise CommandError(_("the demo was not loaded: %(error)s", error=str(exc))) from exc
        click.echo(_("seeded %(organizations)d organizations, %(users)d users, %(patents)d "
                     "patents, %(needs)d needs", **counts))
    try:
        # Imported here: the matching engine loads encoders, which only this step needs.
        from ..services.matching import rebuild_indexes, run_batch_matching, sync_needs

        click.echo(_("building the indexes ..."))
        built = rebuild_indexes(progress=True)
        click.echo(_("indexes: %(summary)s", summary=_brief(built)))
        click.echo(_("batch matching ..."))
        matched = run_batch_matching(progress=True)
        click.echo(_("matching: %(summary)s", summary=_brief(matched)))
    except (ImportError, MatchmakerError) as exc:
        raise CommandError(_(
            "the demo data is seeded, but indexing or matching failed: %(error)s. "
            "Fix the cause and run `flask demo` again: it continues from here.", error=str(exc)
        )) from exc
    activity = simulate_activity()
    click.echo(_("broker activity: %(pairs)d pairs moved, %(history)d history rows, %(notes)d notes",
                 pairs=activity["pairs"], history=activity["history"], notes=activity["notes"]))
    events = _seed_events()
    if events is not None:
        click.echo(_("events: %(summary)s", summary=_brief(events)))
    # The simulated activity and events sign contracts directly (no pipeline signals), which
    # marks needs matched: take them out of the needs index so /healthz says "built".
    sync_needs(db.session.scalars(select(Need.id).where(Need.status != NeedStatus.OPEN)).all(),
               compact_later=False)  # no compaction job: it is done here, at once
    from ..services.matching import compact_indexes

    compact_indexes()  # fold those removals: the demo ranks as a fresh build would
    from ..services.maintenance import analyze

    analyze()  # a bulk load: fresh planner statistics before the first queue page
    click.echo(_("done: %(n)d need-patent pairs in the database", n=_count(Match)))
    if not seeded:
        from ..demo.seed import demo_accounts as accounts

        _print_accounts(accounts(), password)


@command("demo-accounts")
@option("--reset", is_flag=True,
              help="Set every demo account's password to DEMO_PASSWORD (else a random one).")
@with_appcontext
def demo_accounts(reset: bool) -> None:
    """List the demo accounts; they are never re-activated and, without --reset, never changed."""
    from ..demo.seed import is_seeded, reset_demo_passwords

    if not reset:
        _list_accounts()
        return
    if not is_seeded():
        click.echo(_("no demo accounts in this database (load them with `flask demo`)."))
        return
    password = _password()
    try:
        rows = reset_demo_passwords(password)
    except ValidationError as exc:
        raise CommandError(f"DEMO_PASSWORD: {exc}") from exc
    _print_accounts(rows, password)


def _list_accounts() -> None:
    """The demo accounts as they are (passwords not shown: set once, when the demo was loaded)."""
    from ..demo.seed import demo_accounts as accounts
    from ..demo.seed import is_seeded

    if not is_seeded():
        click.echo(_("no demo accounts in this database (load them with `flask demo`)."))
        return
    _print_accounts(accounts(), _("(unchanged)"))
    click.echo(_("passwords: as printed when the demo was loaded, or as their users changed "
                 "them; `flask demo-accounts --reset` sets new ones"))


def _password() -> str:
    return current_app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _print_accounts(rows: list[dict], password: str) -> None:
    table = [(_("username"), _("role"), _("organization"), _("password"))]
    table += [(r["username"], _role(r["role"]) + ("" if r["active"] else _(" (deactivated)")),
               r["organization"] or "-", password) for r in rows]
    widths = [max(_width(row[c]) for row in table) for c in range(4)]
    click.echo(_("demo accounts:"))
    for row in table:
        click.echo("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
    base = current_app.config.get("BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    click.echo(_("sign in at %(url)s", url=f"{base}/auth/login"))


def _role(code: str) -> str:
    try:
        return str(label(Role(code)))
    except ValueError:
        return code


def _seed_events() -> dict:
    from ..demo.events import seed_demo_events

    return seed_demo_events()


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id))) or 0


def _brief(result) -> str:
    """One line from a service's result dict, one level of nesting flattened (patents.count=)."""
    if not isinstance(result, dict):
        return str(result)
    parts = []
    for key, value in result.items():
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items() if not isinstance(v, dict | list)]
        elif not isinstance(value, list):
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
