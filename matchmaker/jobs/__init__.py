"""Background jobs on Celery, bound to the app as Flask documents ("Background Tasks with Celery").

Every task runs inside ``app.app_context()``; the ``jobs`` table (``records.Job``) is the truth
about each unit of work, the queue only carries job ids. Task modules are grouped by concern:
``matching``, ``imports``, ``alerts``, ``mail``, ``booklet``, ``webhooks`` and ``learning``.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from kombu import Exchange, Queue

#: The second queue's suffix: ``<JOB_QUEUE>.interactive`` holds the jobs a person waits for.
INTERACTIVE_SUFFIX = ".interactive"


def queues(config) -> tuple[str, str]:
    """The installation's two queue names: (every job's, the jobs a person waits for).

    A job kind declared ``interactive`` (``registry.INTERACTIVE``: a saved need's or patent's
    candidates and alerts, a booklet) goes to the second. ``flask worker --interactive`` takes
    only that one, so those jobs never wait behind an import's rows, an index build or the
    nightly batch that another worker is running. ``flask worker`` takes both, the second
    first: on the embedded queue and Redis a free worker runs a job a person waits for before
    the bulk jobs queued ahead of it (RabbitMQ delivers from both as messages come).
    """
    return config["JOB_QUEUE"], config["JOB_QUEUE"] + INTERACTIVE_SUFFIX


def register_jobs(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and keep it in ``app.extensions["celery"]``."""
    from . import alerts, booklet, imports, learning, mail, matching, webhooks  # noqa: F401
    from .deferred import run_after_response
    from .embedded_queue import broker_url
    from .registry import INTERACTIVE, TASKS

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
    everyone, interactive = queues(config)
    waited_for = {TASKS[kind].name for kind in INTERACTIVE}

    def route(name: str, *args, **kwargs) -> dict | None:
        return {"queue": interactive} if name in waited_for else None

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=broker_url(config["JOB_BROKER_URL"], config["JOB_POLL_SECONDS"]),
        result_backend=config["JOB_RESULT_BACKEND"],
        task_ignore_result=not config["JOB_RESULT_BACKEND"],
        # Both queues declared, each with its exchange and routing key (a queue declared without
        # them would get the default queue's, and RabbitMQ would deliver every job to both); a
        # worker started without ``--queues`` (``celery -A ... worker``, the test worker) takes
        # both, in this order.
        task_queues=[Queue(name, Exchange(name), routing_key=name)
                     for name in (interactive, everyone)],
        task_default_queue=everyone,
        task_routes=(route,),
        # Redis polls a worker's queues in their order (the embedded queue does so itself:
        # ``embedded_queue.Channel``).
        broker_transport_options=({"queue_order_strategy": "priority"}
                                  if config["JOB_BROKER_URL"].startswith("redis") else {}),
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
