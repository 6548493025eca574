"""Keeps the needs index in line with pipeline moves (a receiver of ``match_moved``).

Signing a contract marks the need matched, and cancelling the last signed pair reopens it
(``services.pipeline``). Only open needs belong in the index, so such a move syncs the need's
entry: a matched need leaves the index, a reopened one comes back and can be proposed for
patents again. The rules would keep a matched need out of the results anyway; without the sync
the index would be "stale" in /healthz and a need reopened after a rebuild would stay missing.
"""

from __future__ import annotations

import logging

from ..signals import match_moved

log = logging.getLogger(__name__)


def connect_receivers(app) -> None:
    """Subscribe the receiver (blinker keeps one connection per function)."""
    match_moved.connect(on_match_moved)


def on_match_moved(sender, need_id: int | None = None, need_status_changed: bool = False,
                   **_kw) -> None:
    """Sync the need's index entry when the move changed its status; never raises."""
    if need_id is None or not need_status_changed:
        return
    try:
        from .matching import sync_needs  # the engine, imported only when needed

        sync_needs([need_id])
    except Exception:  # the move is committed; the next batch run or build-index catches up
        log.exception("index sync of need %s after a pipeline move failed", need_id)
