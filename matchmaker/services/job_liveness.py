"""Whether a running job's worker is still alive: on SQLite a worker process on this host
counts, elsewhere the lease its heartbeat renews decides (:func:`heartbeat_needed`). Claiming a
job (``jobs.claim``) and recovering lost ones (``job_recovery.recover``) both ask this.
"""

from __future__ import annotations

import errno
import os
import socket

from ..extensions import db


def alive_here(worker: str | None) -> bool:
    """True when ``worker`` runs on this host and, on SQLite, its process still exists.

    On PostgreSQL a running job's heartbeat renews its lease (``jobs.heartbeat``), and a
    recycled process id must not keep a dead job alive, so the lease decides there. SQLite
    serves one machine, and a heartbeat's commit would refuse the job's own read-then-write
    transactions, so there a live worker process is what counts.
    """
    if db.engine.dialect.name != "sqlite":
        return False
    host, _sep, pid = (worker or "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not dead_here(worker)


def heartbeat_needed() -> bool:
    """Whether running jobs must renew their lease (see :func:`alive_here`)."""
    return db.engine.dialect.name != "sqlite"


def dead_here(worker: str | None) -> bool:
    """True when ``worker`` was a process on this host that no longer exists."""
    host, _sep, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except OSError as exc:
        return exc.errno == errno.ESRCH
    return False
