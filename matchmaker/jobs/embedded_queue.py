"""The embedded job queue: kombu's SQLAlchemy transport on the instance's ``jobs.sqlite3``.

Its workers sleep kombu's ``polling_interval`` (1 s) after every empty poll, and a worker polls
more than one queue, so it handed out about one job a second however short the jobs were
(QA pass 6: 150 quick jobs took 2.7 minutes; 30 took 30.7 s for 2.9 s of work). The interval
cannot go through ``broker_transport_options``: this transport passes those to
``create_engine``. So the queue uses this subclass, under an alias of its own, with the
interval ``JOB_POLL_SECONDS``; kombu's ``sqla`` transport itself is left as it is.

The subclass also polls its queues in the order the worker names them, first queue first
(kombu polls them in turn): a worker that takes both of the app's queues runs a job a person
waits for before the bulk jobs queued ahead of it (``jobs.queues``); Redis does the same with
its ``queue_order_strategy`` "priority".
"""

from __future__ import annotations

from queue import Empty

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as SQLAlchemyChannel
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport
from kombu.utils.scheduling import FairCycle

ALIAS = "matchmaker-sqla"
PREFIX = "sqla+"


class FirstQueueFirst(FairCycle):
    """Every poll starts at the first queue and goes on to the next only when it is empty."""

    def get(self, callback, **kwargs):
        self.pos = 0
        return super().get(callback, **kwargs)


class Channel(SQLAlchemyChannel):
    def _reset_cycle(self):
        self._cycle = FirstQueueFirst(self._get_and_deliver, self._active_queues, Empty)


class Transport(SQLAlchemyTransport):
    Channel = Channel
    polling_interval = 0.2


def broker_url(url: str, interval: float) -> str:
    """``url`` for Celery: an embedded-queue URL (``sqla+...``) goes through this transport."""
    if not url.startswith(PREFIX):
        return url
    Transport.polling_interval = float(interval)
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
    return f"{ALIAS}+{url[len(PREFIX):]}"
