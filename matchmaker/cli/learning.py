"""Learning commands: export the feedback, train the reranker, activate it or roll back."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


def _index_dir() -> str:
    return current_app.config["INDEX_DIR"]


@click.command("export-feedback")
@click.option("--out", "out", type=click.File("w", encoding="utf-8"), default="-",
              help="JSON Lines file (default: standard output).")
@with_appcontext
def export_feedback_command(out) -> None:
    """Write every decided pair with its relevance grade as JSON Lines."""
    from ..learning.dataset import export_jsonl, labelled

    n = export_jsonl(out, labelled())
    click.echo(f"{n} decided pairs written", err=True)


@click.command("train-reranker")
@with_appcontext
def train_reranker_command() -> None:
    """Train a reranker on the decisions; activate it only if it beats the current ranking.

    The same work runs as the background job ``train_reranker`` (质量看板: 重新训练).
    """
    from ..learning.training import NotEnoughDecisions, train_from_decisions

    try:
        report = train_from_decisions()
    except (NotEnoughDecisions, ValueError) as exc:
        raise click.ClickException(f"{exc}; the engine keeps ranking as before") from exc
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    click.echo(f"model {report['version']}: "
               f"{'activated' if report['activate'] else 'kept, not activated'} "
               f"({report['reason']})")


@click.command("activate-reranker")
@click.argument("version")
@with_appcontext
def activate_reranker_command(version: str) -> None:
    """Make a saved reranker version active by hand (no evaluation: the admin decides)."""
    from ..learning.activation import activate

    try:
        activate(_index_dir(), version, {"reason": "by hand"})
    except FileNotFoundError as exc:
        raise click.ClickException(f"no saved reranker {version}") from exc
    click.echo(f"active reranker: {version}")


@click.command("rollback-reranker")
@with_appcontext
def rollback_reranker_command() -> None:
    """Return to the ranking before the active reranker."""
    from ..learning.activation import rollback

    try:
        version = rollback(_index_dir())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"active reranker: {version or 'none (the engine ranks alone)'}")


@click.command("reranker-status")
@with_appcontext
def reranker_status_command() -> None:
    """Show the active reranker, the saved versions and the activation log."""
    from ..learning.activation import state
    from ..learning.reranker import versions

    data = state(_index_dir())
    click.echo(f"active: {data.get('active') or 'none'}")
    for manifest in versions(_index_dir()):
        verdict = manifest.get("metrics", {})
        click.echo(f"{manifest['version']}  rows {manifest['rows']}  "
                   f"{verdict.get('reason', '-')}  gain {verdict.get('decisions', {}).get('gain')}")


COMMANDS = [export_feedback_command, train_reranker_command, activate_reranker_command,
            rollback_reranker_command, reranker_status_command]
