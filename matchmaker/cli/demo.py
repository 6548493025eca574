"""The built-in demo: ``flask demo [--if-empty]`` and ``flask demo-accounts``."""

from __future__ import annotations

import os
import secrets
import unicodedata

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..errors import MatchmakerError, ValidationError
from ..extensions import db
from ..records import Match, Need, NeedStatus


@click.command("demo")
@click.option(
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
        click.echo("demo: the database is not empty; nothing loaded.")
        return
    if seeded and _count(Match) > 0:
        raise click.ClickException(
            "the demo data is already loaded and matched; use an empty database to load it again"
        )
    password = _password()
    if seeded:
        click.echo("demo data already seeded; continuing with indexing and matching")
    else:
        click.echo("seeding the demo data ...")
        try:
            counts = seed_demo(password, progress=lambda message: click.echo(f"  {message}"))
        except ValidationError as exc:
            raise click.ClickException(f"the demo was not loaded: {exc}") from exc
        click.echo(
            "seeded {organizations} organizations, {users} users, {patents} patents, "
            "{needs} needs".format(**counts)
        )
    try:
        # Imported here: the matching engine loads encoders, which only this step needs.
        from ..services.matching import rebuild_indexes, run_batch_matching, sync_needs

        click.echo("building the indexes ...")
        built = rebuild_indexes(progress=True)
        click.echo(f"indexes: {_brief(built)}")
        click.echo("batch matching ...")
        matched = run_batch_matching(progress=True)
        click.echo(f"matching: {_brief(matched)}")
    except (ImportError, MatchmakerError) as exc:
        raise click.ClickException(
            f"the demo data is seeded, but indexing or matching failed: {exc}. "
            "Fix the cause and run `flask demo` again: it continues from here."
        ) from exc
    activity = simulate_activity()
    click.echo(
        f"broker activity: {activity['pairs']} pairs moved, {activity['history']} history rows, "
        f"{activity['notes']} notes"
    )
    events = _seed_events()
    if events is not None:
        click.echo(f"events: {_brief(events)}")
    # The simulated activity and events sign contracts directly (no pipeline signals), which
    # marks needs matched: take them out of the needs index so /healthz says "built".
    sync_needs(db.session.scalars(select(Need.id).where(Need.status != NeedStatus.OPEN)).all())
    from ..services.maintenance import analyze

    analyze()  # a bulk load: fresh planner statistics before the first queue page
    click.echo(f"done: {_count(Match)} need-patent pairs in the database")
    if not seeded:
        from ..demo.seed import demo_accounts as accounts

        _print_accounts(accounts(), password)


@click.command("demo-accounts")
@click.option("--reset", is_flag=True,
              help="Set every demo account's password to DEMO_PASSWORD (else a random one).")
@with_appcontext
def demo_accounts(reset: bool) -> None:
    """List the demo accounts; they are never re-activated and, without --reset, never changed."""
    from ..demo.seed import demo_accounts as accounts
    from ..demo.seed import is_seeded, reset_demo_passwords

    if not is_seeded():
        click.echo("no demo accounts in this database (load them with `flask demo`).")
        return
    if not reset:
        _print_accounts(accounts(), "(unchanged)")
        click.echo("passwords: as printed when the demo was loaded, or as their users changed "
                   "them; `flask demo-accounts --reset` sets new ones")
        return
    password = _password()
    try:
        rows = reset_demo_passwords(password)
    except ValidationError as exc:
        raise click.ClickException(f"DEMO_PASSWORD: {exc}") from exc
    _print_accounts(rows, password)


def _password() -> str:
    return current_app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _print_accounts(rows: list[dict], password: str) -> None:
    table = [("username", "role", "organization", "password")]
    table += [(r["username"], r["role"] + ("" if r["active"] else " (deactivated)"),
               r["organization"] or "-", password) for r in rows]
    widths = [max(_width(row[c]) for row in table) for c in range(4)]
    click.echo("demo accounts:")
    for row in table:
        click.echo("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
    port = os.environ.get("PORT", "8000")
    click.echo(f"sign in at http://127.0.0.1:{port}/auth/login")


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
