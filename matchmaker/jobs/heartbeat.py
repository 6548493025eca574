"""A running job's heartbeat: a thread renews its lease, so a long step is not taken for dead.

``flask jobs recover`` (and a worker at start) sends again every running job whose lease has
run out. A job renews its lease when it reports progress, but one step may run far longer than
the lease without reporting (encoding 100k patents, matching after an import): the heartbeat
renews it every third of the lease on a connection of its own, whatever the work is doing.
On SQLite (one machine) a live worker process keeps its jobs instead: see
``services.job_liveness.heartbeat_needed``.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..services import jobs as service

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(engine, job_id, lease_seconds):`` renews the job's lease while inside."""

    def __init__(self, engine: Engine, job_id: int, lease_seconds: float):
        self.engine = engine
        self.job_id = job_id
        self.lease_seconds = lease_seconds
        self.interval = lease_seconds / 3
        self.worker = service.worker_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat",
                                        daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def beat(self) -> bool:
        """Renew the lease now; False when the job is no longer this worker's or the write failed."""
        try:
            with self.engine.begin() as conn:
                return service.renew_lease(conn, self.job_id, self.worker, self.lease_seconds)
        except SQLAlchemyError:
            log.warning("job %s: lease not renewed this time", self.job_id, exc_info=True)
            return False
