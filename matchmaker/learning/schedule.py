"""Automatic retraining: the platform retrains after every N labelled decisions (issue 12).

After each pipeline move, the labelled decisions taken since the last training job was queued
are counted; when they reach ``RERANK_RETRAIN_EVERY`` the job ``train_reranker`` is queued,
unless one is already queued or running (a burst of moves never stacks trainings). A training
that fails (too few decisions) still counts as the last training, so a stream of moves does
not retry it at every move: the next attempt comes N decisions later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..records import Job, JobStatus
from .dataset import decision_labels

JOB_KIND = "train_reranker"
PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)


def _trainings() -> tuple[int, datetime | None]:
    """(training jobs queued or running, when the latest of any outcome was queued): one
    statement, asked after every pipeline move."""
    pending, last = db.session.execute(
        select(func.count().filter(Job.status.in_(PENDING)), func.max(Job.created_at))
        .where(Job.kind == JOB_KIND)).one()
    return pending, last


def last_training_at() -> datetime | None:
    """When the latest training job (any outcome) was queued; None when never."""
    return _trainings()[1]


def labelled_decisions(since=None) -> int:
    """Labelled decisions (a grade, not a "price or terms" rejection), all or since ``since``:
    what a training learns from and counts against ``RERANK_MIN_DECISIONS``."""
    return sum(1 for label in decision_labels(since=since) if label.grade is not None)


def decisions_since_training() -> int:
    """Labelled decisions since the last training."""
    return labelled_decisions(since=last_training_at())


def retraining_due(every: int) -> bool:
    """True when ``every`` > 0, no training is pending and enough decisions came in."""
    if every <= 0:
        return False
    pending, last = _trainings()
    if pending:
        return False
    return labelled_decisions(since=last) >= every


def queue_if_due(every: int) -> Job | None:
    """Queue ``train_reranker`` when retraining is due; returns the job, or None."""
    from ..services import jobs

    if not retraining_due(every):
        return None
    return jobs.submit(JOB_KIND, {"trigger": "decisions", "every": every}, after_response=True)
