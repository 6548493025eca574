"""Learning commands: export the feedback, train the reranker, activate it or roll back."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..labels import verdict_label
from .language import command, option
from .output import CommandError


def _index_dir() -> str:
    return current_app.config["INDEX_DIR"]


@command("export-feedback")
@option("--out", "out", type=click.File("w", encoding="utf-8"), default="-",
              help="JSON Lines file (default: standard output).")
@with_appcontext
def export_feedback_command(out) -> None:
    """Write every decided pair with its relevance grade as JSON Lines."""
    from ..learning.dataset import export_jsonl, labelled

    n = export_jsonl(out, labelled())
    click.echo(_("%(n)d decided pairs written", n=n), err=True)


@command("train-reranker")
@with_appcontext
def train_reranker_command() -> None:
    """Train a reranker on the decisions; activate it only if it beats the current ranking.

    The same work runs as the background job ``train_reranker`` (quality board: Retrain).
    """
    from ..learning.training import NotEnoughDecisions, train_from_decisions

    try:
        report = train_from_decisions()
    except (NotEnoughDecisions, ValueError) as exc:
        raise CommandError(_("%(error)s; the engine keeps ranking as before", error=str(exc))) from exc
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    reason = verdict_label(report["reason"])
    click.echo(_("model %(version)s: activated (%(reason)s)", version=report["version"],
                 reason=reason) if report["activate"] else
               _("model %(version)s: kept, not activated (%(reason)s)", version=report["version"],
                 reason=reason))


@command("activate-reranker")
@click.argument("version")
@with_appcontext
def activate_reranker_command(version: str) -> None:
    """Make a saved reranker version active by hand (no evaluation: the admin decides)."""
    from ..learning.activation import activate

    try:
        activate(_index_dir(), version, {"reason": "by hand"})
    except FileNotFoundError as exc:
        raise CommandError(_("no saved reranker %(version)s", version=version)) from exc
    click.echo(_("active reranker: %(version)s", version=version))


@command("rollback-reranker")
@with_appcontext
def rollback_reranker_command() -> None:
    """Return to the ranking before the active reranker."""
    from ..learning.activation import rollback

    try:
        version = rollback(_index_dir())
    except ValueError as exc:
        raise CommandError(_rollback_error(exc)) from exc
    click.echo(_("active reranker: %(version)s", version=version)) if version else \
        click.echo(_("active reranker: none (the engine ranks alone)"))


@command("reranker-status")
@with_appcontext
def reranker_status_command() -> None:
    """Show the active reranker, the saved versions and the activation log."""
    from ..learning.activation import state
    from ..learning.reranker import versions

    data = state(_index_dir())
    click.echo(_("active: %(version)s", version=data.get("active") or _("none")))
    for manifest in versions(_index_dir()):
        verdict = manifest.get("metrics", {})
        click.echo(f"{manifest['version']}  " + _("rows %(n)d", n=manifest["rows"])
                   + f"  {verdict_label(verdict.get('reason')) or '-'}  "
                   + _("gain %(gain)s", gain=verdict.get("decisions", {}).get("gain")))


def _rollback_error(exc: ValueError) -> str:
    """learning.activation says "no active model to roll back" in English: the one case there."""
    return _("no active model to roll back") if "no active model" in str(exc) else str(exc)


COMMANDS = [export_feedback_command, train_reranker_command, activate_reranker_command,
            rollback_reranker_command, reranker_status_command]
