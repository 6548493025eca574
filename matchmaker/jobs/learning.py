"""Learning jobs: train the reranker, and let a "not relevant" rejection teach at once."""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..records import Match, MatchStatus, RejectionReason
from ..services import jobs as jobs_service
from ..signals import match_moved, moves_committed
from .registry import JobContext, job


@job("train_reranker")
def train_reranker(params: dict, ctx: JobContext) -> dict:
    """Train a reranker on the decisions and activate it only if it beats the current one."""
    from ..learning.training import train_from_decisions

    return train_from_decisions()


@job("teach_rejection")
def teach_rejection(params: dict, ctx: JobContext) -> dict:
    """Lower the pending look-alikes of one pair rejected as not relevant."""
    from ..learning.teach import demote_stored
    from ..services.matching import engine

    match = db.session.get(Match, params["match_id"])
    if match is None:
        return {"demoted": 0}
    demoted = demote_stored(engine(), match)
    db.session.commit()
    return {"demoted": demoted}


def connect_receivers(app) -> None:
    """A pair rejected as "not relevant" queues ``teach_rejection`` (after the response); every
    ``RERANK_RETRAIN_EVERY`` labelled decisions queue ``train_reranker``."""
    match_moved.connect(on_match_moved)
    moves_committed.connect(retrain_when_due)


def retrain_when_due(sender, **_kw) -> None:
    """Queue a training once enough labelled decisions came in since the last one: asked once
    per committed action (a rejection that closed 31 other pairs asks once, not 32 times)."""
    from ..learning.schedule import queue_if_due

    queue_if_due(current_app.config.get("RERANK_RETRAIN_EVERY", 0))


def on_match_moved(sender, match_id: int, to_status=None, actor_id=None, **_kw) -> None:
    if to_status is not MatchStatus.REJECTED and to_status != MatchStatus.REJECTED.value:
        return
    if not current_app.config.get("TEACH_AT_ONCE", True):
        return
    match = db.session.get(Match, match_id)
    if match is None or match.rejection_reason != RejectionReason.NOT_RELEVANT.value:
        return
    jobs_service.submit("teach_rejection", {"match_id": match_id}, after_response=True)
