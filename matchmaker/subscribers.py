"""Connects signal receivers once per application (see ``matchmaker.signals``)."""

from __future__ import annotations


def connect(app) -> None:
    """Import the modules whose receivers react to domain signals."""
    receivers: list = []
    for connect_receivers in receivers:
        connect_receivers(app)
