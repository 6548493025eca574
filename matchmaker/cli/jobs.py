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
@with_appcontext
def worker_command(concurrency: int, pool: str, loglevel: str) -> None:
    """Run a Celery worker for this app's job queue (like ``celery -A matchmaker.jobs.worker``)."""
    from ..jobs.recovery import recover_on_start

    app = current_app._get_current_object()
    recover_on_start(app)
    celery = app.extensions["celery"]
    celery.worker_main([
        "worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
        f"--queues={app.config['JOB_QUEUE']}",
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
