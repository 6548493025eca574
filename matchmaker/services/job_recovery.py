"""Recovery of lost jobs: those a dead worker held, whose message never went, or whose message a
broker lost; :func:`recover` sends them again, and each worker calls it as it starts and at
every ``JOB_RECOVER_SECONDS`` (``jobs.recovery``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, true

from ..extensions import begin_write, db
from ..reasons import reason
from ..records import Job, JobStatus, utcnow
from . import jobs as jobs_service
from .job_errors import error_text
from .job_liveness import alive_here, dead_here

log = logging.getLogger(__name__)


def recover() -> list[int]:
    """Send again the jobs a dead worker held or a broker lost; returns their ids.

    Redis and RabbitMQ deliver an unacknowledged message again by themselves; kombu's
    SQLAlchemy transport does not, and a Redis that restarts without persistence forgets its
    queue, so each worker calls this when it starts and every ``JOB_RECOVER_SECONDS``
    (``jobs.recovery``). Sending twice is harmless: ``jobs.claim`` lets only one delivery run
    the work; a queued job is sent again at most once per lease.

    A queued job's message counts as lost when the job is older than a lease, or sooner, once
    the workers are idle: no job runs and none started for ``JOB_LOST_SECONDS``, yet a job
    sent that long ago is still queued (a live queue would have handed it to a worker).
    """
    # A writer's transaction: on SQLite a web request's commit between this sweep's reads and
    # its writes made it fail (QA pass 6: at a restarted worker's start, so a killed import
    # stayed "running" under its dead worker until the next sweep).
    begin_write()
    now = utcnow()
    stale = now - jobs_service._lease()
    # A queued job sent again waits another lease before the next time (``lease_until`` marks
    # it): workers sweep every few minutes, and one still waiting its turn behind a long import
    # must not gain a copy of its message at every sweep.
    resendable = or_(Job.lease_until.is_(None), Job.lease_until < now)
    # A job held for its chain (``jobs.HELD``: an import's follow-up jobs, hours of them for a
    # large file) is not lost for its age, only when the workers fall idle with it waiting.
    lost = and_(Job.status == JobStatus.QUEUED, Job.created_at < stale, resendable,
                or_(Job.task_id.is_(None), Job.task_id != jobs_service.HELD))
    candidates = db.session.scalars(select(Job).where(or_(
        Job.status == JobStatus.RUNNING,
        and_(Job.status == JobStatus.QUEUED, Job.task_id.is_(None)),
        lost,
    ))).all()
    again, running = [], 0
    for job in candidates:
        if job.status is JobStatus.RUNNING:
            expired = job.lease_until is None or job.lease_until < now
            # held by this very process, which is not running it: an attempt that could not
            # record its outcome, and no retry came to take it over
            abandoned = (job.worker == jobs_service.worker_id()
                         and job.id not in jobs_service._running_here)
            if not abandoned and (alive_here(job.worker)
                                  or not (dead_here(job.worker) or expired)):
                running += 1
                continue
            job.status = JobStatus.QUEUED
            job.error = error_text(reason("The worker %(worker)s stopped during attempt %(n)d",
                                           worker=job.worker or "?", n=job.attempts))
        job.lease_until = now + jobs_service._lease()  # claim() replaces it; a queued job's next resend
        again.append(job.id)
    if not running:
        again += _lost_while_idle(now, resendable, exclude=again)
    db.session.commit()
    for job_id in again:
        jobs_service.send(job_id)
    if again:
        log.warning("sent %d interrupted jobs again: %s", len(again), again)
    return again


def lost_seconds() -> int:
    """How long idle workers leave a sent job queued before its message counts as lost."""
    return int(current_app.config["JOB_LOST_SECONDS"])


def _lost_while_idle(now, resendable, *, exclude: list[int]) -> list[int]:
    """Queued jobs sent over ``JOB_LOST_SECONDS`` ago while no job started since: the workers
    are idle, so the queue no longer holds their messages. Marks them as sent now."""
    quiet = now - timedelta(seconds=lost_seconds())
    if db.session.scalar(select(Job.id).where(Job.started_at >= quiet).limit(1)) is not None:
        return []  # the workers are taking jobs: a queued one may still be waiting its turn
    jobs = db.session.scalars(select(Job).where(
        Job.status == JobStatus.QUEUED, Job.task_id.is_not(None), Job.created_at < quiet,
        resendable, Job.id.not_in(exclude) if exclude else true())).all()
    for job in jobs:
        job.lease_until = now + jobs_service._lease()
    return [job.id for job in jobs]
