"""The embedded job queue: kombu's SQLAlchemy transport on the instance's ``jobs.sqlite3``.

Its workers sleep kombu's ``polling_interval`` (1 s) after every empty poll, and a worker polls
more than one queue, so it handed out about one job a second however short the jobs were
(QA pass 6: 150 quick jobs took 2.7 minutes; 30 took 30.7 s for 2.9 s of work). The interval
cannot go through ``broker_transport_options``: this transport passes those to
``create_engine``. So the queue uses this subclass, under an alias of its own, with the
interval ``JOB_POLL_SECONDS``; kombu's ``sqla`` transport itself is left as it is.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

ALIAS = "matchmaker-sqla"
PREFIX = "sqla+"


class Transport(SQLAlchemyTransport):
    polling_interval = 0.2


def broker_url(url: str, interval: float) -> str:
    """``url`` for Celery: an embedded-queue URL (``sqla+...``) goes through this transport."""
    if not url.startswith(PREFIX):
        return url
    Transport.polling_interval = float(interval)
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
    return f"{ALIAS}+{url[len(PREFIX):]}"
