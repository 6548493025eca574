"""Connects signal receivers once per application (see ``matchmaker.signals``)."""

from __future__ import annotations


def connect(app) -> None:
    """Import the modules whose receivers react to domain signals."""
    from .jobs.learning import connect_receivers as teach_jobs
    from .jobs.matching import connect_receivers as rebuild_jobs
    from .services.alerts import connect_receivers as alerts
    from .services.index_sync import connect_receivers as index_sync
    from .services.pair_notices import connect_receivers as pair_notices
    from .services.stale import install as clean_queues
    from .services.webhooks import connect_receivers as webhooks

    clean_queues()  # stale pairs leave the queue whatever path changed the record

    receivers: list = [alerts, index_sync, pair_notices, webhooks, rebuild_jobs, teach_jobs]
    for connect_receivers in receivers:
        connect_receivers(app)
