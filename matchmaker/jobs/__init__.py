"""Background jobs on Celery, bound to the app as Flask documents ("Background Tasks with Celery").

Every task runs inside ``app.app_context()``; the ``jobs`` table (``records.Job``) is the truth
about each unit of work, the queue only carries job ids. Task modules are grouped by concern:
``matching``, ``imports``, ``alerts``, ``mail``, ``booklet``, ``webhooks`` and ``learning``.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app, has_app_context


def register_jobs(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and keep it in ``app.extensions["celery"]``."""
    from . import alerts, booklet, imports, learning, mail, matching, webhooks  # noqa: F401
    from .deferred import run_after_response
    from .embedded_queue import broker_url

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Eager jobs run in the submitting request's context (and session): a second
            # context would open a second SQLite connection that waits on the first one's lock.
            if self.request.is_eager and has_app_context() \
                    and current_app._get_current_object() is app:
                return self.run(*args, **kwargs)
            # In a worker every task gets a context (and a database session) of its own, also
            # under ``flask worker``, whose command already holds one: a task that left that
            # shared session broken ("database is locked" in a flush) failed every later task.
            with app.app_context():
                return self.run(*args, **kwargs)

    config = app.config
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=broker_url(config["JOB_BROKER_URL"], config["JOB_POLL_SECONDS"]),
        result_backend=config["JOB_RESULT_BACKEND"],
        task_ignore_result=not config["JOB_RESULT_BACKEND"],
        task_default_queue=config["JOB_QUEUE"],
        task_always_eager=config["JOBS_EAGER"],
        # A task is acknowledged when it ends, and one at a time: a killed worker holds at most
        # one job, which the broker (or services.job_recovery.recover) hands to another worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_annotations={"*": {"max_retries": config["JOB_MAX_RETRIES"]}},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.after_request(run_after_response)
    app.extensions["celery"] = celery
    return celery
