"""An interactive worker (``flask worker --interactive``) loads the engine when it starts, as
each gunicorn worker does (``gunicorn.conf.py``): a person waits for its first job too. Loaded
on first use instead, the first need posted after a start waited 11.8 s for the models
(``bench/bench_need_during_import.py``). Bulk workers keep loading it on first use."""

from __future__ import annotations

from celery.signals import worker_process_init, worker_ready
from flask import Flask

#: how long a new pool process may take to start (Celery's default, 4 s, is for a process that
#: loads nothing; one that misses it is killed and replaced)
WARM_START_SECONDS = 600.0


def warm_at_start(app: Flask, pool: str) -> None:
    """Load the engine in every process that will run this worker's jobs before it takes one."""
    from ..services.matching import freeze_heap, warm_up

    def warm(**_kwargs) -> None:
        with app.app_context():
            warm_up()  # a failure is logged; the first job tries again
        freeze_heap()

    if pool == "prefork":
        # In each pool process after the fork, never in the parent: torch's thread pools do not
        # survive a fork (the worker's own process loads no model: test_jobs_worker.py).
        app.extensions["celery"].conf.worker_proc_alive_timeout = WARM_START_SECONDS
        worker_process_init.connect(warm, weak=False)
    else:  # solo and threads run the jobs in this process: once it is set up, before the first
        worker_ready.connect(warm, weak=False)
