"""Connects signal receivers once per application (see ``matchmaker.signals``)."""

from __future__ import annotations


def connect(app) -> None:
    """Import the modules whose receivers react to domain signals."""
    from .services.alerts import connect_receivers as alerts
    from .services.index_sync import connect_receivers as index_sync

    receivers: list = [alerts, index_sync]
    for connect_receivers in receivers:
        connect_receivers(app)
