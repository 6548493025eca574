"""The worker's entry point: ``celery -A matchmaker.jobs.worker worker`` (or ``flask worker``).

Building the app loads no model: the engine is built lazily by the first job that needs it.
"""

from __future__ import annotations

from celery.signals import worker_ready
from flask import Flask

from .. import create_app


def recover_on_start(app: Flask) -> None:
    """When the worker is ready, send again the jobs a dead worker left behind."""

    def recover_jobs(sender=None, **_kw) -> None:
        from ..services.jobs import recover

        with app.app_context():
            recover()

    worker_ready.connect(recover_jobs, weak=False)


# Named ``flask_app``, not ``app``: ``celery -A`` takes a module's ``app`` for the Celery app.
flask_app = create_app()
celery = flask_app.extensions["celery"]
recover_on_start(flask_app)
