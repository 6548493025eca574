"""Job commands: run a worker, list jobs, send interrupted ones again."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..records import JobStatus
from .language import command, group, option


@command("worker")
@option("--concurrency", "-c", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs run at the same time (each loads the engine once it needs it).")
@option("--pool", "-P", type=click.Choice(["prefork", "solo", "threads"]),
              default="prefork", show_default=True)
@option("--loglevel", "-l", default="INFO", show_default=True)
@option("--interactive", is_flag=True,
        help="Take only the jobs a person waits for (a saved need's or patent's candidates and "
             "alerts, a booklet), never an import or a batch run; load the engine at start.")
@with_appcontext
def worker_command(concurrency: int, pool: str, loglevel: str, interactive: bool) -> None:
    """Run a Celery worker for this app's job queues (like ``celery -A matchmaker.jobs.worker``)."""
    from ..jobs import queues
    from ..jobs.recovery import recover_on_start
    from ..jobs.warm import warm_at_start

    app = current_app._get_current_object()
    recover_on_start(app)
    if interactive:
        warm_at_start(app, pool)
    everyone, waited_for = queues(app.config)
    celery = app.extensions["celery"]
    celery.worker_main([
        "worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
        # the queue of jobs a person waits for first (``jobs.queues``)
        f"--queues={waited_for if interactive else f'{waited_for},{everyone}'}",
        # One name per process (celery@host clashed for two workers on one machine).
        f"--hostname=matchmaker-{os.getpid()}@%h",
    ])


@group("jobs")
def jobs_group() -> None:
    """Background jobs."""


@jobs_group.command("list")
@option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@with_appcontext
def list_command(status: str | None, limit: int) -> None:
    """Show the newest jobs: id, kind, status, progress, attempts and error."""
    from ..services.job_errors import error_message
    from ..services.jobs import jobs_query

    stmt = jobs_query(status=JobStatus(status) if status else None).limit(limit)
    rows = list(db.session.scalars(stmt))
    if not rows:
        click.echo(_("(no jobs)"))
    for job in rows:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else "-"
        click.echo(f"{job.id:>6}  {job.kind:<20} {job.status.value:<9} {progress:>11}  "
                   + _("attempts %(n)d", n=job.attempts) + f"  {job.created_at:%Y-%m-%d %H:%M:%S}"
                   + (f"  {error_message(job).splitlines()[0][:80]}" if job.error else ""))


@jobs_group.command("recover")
@with_appcontext
def recover_command() -> None:
    """Send again the jobs whose worker died (a worker also does this when it starts)."""
    from ..services.job_recovery import recover

    ids = recover()
    click.echo(_("sent again: %(ids)s", ids=", ".join(map(str, ids)) or _("(none)")))


COMMANDS = [worker_command, jobs_group]
