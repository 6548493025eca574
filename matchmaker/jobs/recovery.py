"""Recovery in a running worker: a pass at start, then one every ``JOB_RECOVER_SECONDS``."""

from __future__ import annotations

import logging
import threading

from celery.signals import worker_ready, worker_shutdown
from flask import Flask

log = logging.getLogger(__name__)


def recover_on_start(app: Flask) -> None:
    """When the worker is ready, send again the jobs a dead worker left behind, then keep
    looking every ``JOB_RECOVER_SECONDS`` (:func:`sweep`)."""
    stop = threading.Event()

    def recover_jobs(sender=None, **_kw) -> None:
        recover_now(app)
        every = float(app.config["JOB_RECOVER_SECONDS"])
        if every > 0:
            threading.Thread(target=sweep, args=(app, every, stop), name="job-recovery",
                             daemon=True).start()

    worker_ready.connect(recover_jobs, weak=False)
    worker_shutdown.connect(lambda sender=None, **_kw: stop.set(), weak=False)


def recover_now(app: Flask) -> list[int]:
    """One pass of ``services.job_recovery.recover`` in a context of its own; never raises."""
    from ..services.job_recovery import recover

    try:
        with app.app_context():
            return recover()
    except Exception:  # the database may be away for a moment: the next pass tries again
        log.exception("job recovery failed")
        return []


def sweep(app: Flask, every: float, stop: threading.Event) -> None:
    """Recover every ``every`` seconds until ``stop`` is set.

    A start-up pass alone left work behind for as long as no worker started: a job whose
    worker died on another machine (its lease run out), or whose queue message was used up
    before the job was claimed (queued while the workers were idle, or for longer than the
    lease), waited for the next deployment. Every worker sweeps; ``claim`` lets one delivery run the work.
    """
    while not stop.wait(every):
        recover_now(app)
