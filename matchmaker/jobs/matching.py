"""Matching jobs: the batch run, index builds, and matching one record after it is saved."""

from __future__ import annotations

import logging

from ..services import maintenance, records
from ..signals import index_compaction_due, index_rebuild_requested
from .registry import JobContext, job

log = logging.getLogger(__name__)


@job("batch_match")
def batch_match(params: dict, ctx: JobContext) -> dict:
    """Match every open need and dormant patent, then refresh the planner's statistics."""
    from ..services.matching import run_batch_matching  # the engine loads when a job needs it

    report = run_batch_matching(top_k=params.get("top_k"))
    report["analyze_seconds"] = round(maintenance.analyze(), 2)
    return report


@job("build_index")
def build_index(params: dict, ctx: JobContext) -> dict:
    """Rebuild every index collection from the database."""
    from ..services.matching import rebuild_indexes

    return rebuild_indexes()


@job("match_need", interactive=True)
def match_need(params: dict, ctx: JobContext) -> dict:
    """Sync, match and store one saved need; announce it when it is new."""
    return records.match_saved("need", params["need_id"], announce=params.get("announce", False))


@job("match_patent", interactive=True)
def match_patent(params: dict, ctx: JobContext) -> dict:
    """Sync, match and store one saved patent; announce it when it is new."""
    return records.match_saved("patent", params["patent_id"],
                               announce=params.get("announce", False))


@job("compact_index")
def compact_index(params: dict, ctx: JobContext) -> dict:
    """Fold the delta logs of every collection into new bases (after many single saves)."""
    from ..services.matching import compact_indexes

    return compact_indexes()


def connect_receivers(app) -> None:
    """A request that meets an unusable index asks for a rebuild: queue one build job; a save
    that leaves a long change log asks for a compaction: queue one compaction job."""
    index_rebuild_requested.connect(on_rebuild_requested)
    index_compaction_due.connect(on_compaction_due)


def on_rebuild_requested(sender, side: str | None = None, **_kw) -> None:
    """Queue ``build_index`` unless one is waiting or running; never rebuilds inline."""
    _submit_once("build_index", {"reason": f"{side} index unusable"})


def on_compaction_due(sender, side: str | None = None, **_kw) -> None:
    """Queue ``compact_index`` unless one is waiting or running, or an import's shares are
    still to come (``index_imported`` queued: the chain's last share asks for it; QA pass 7
    saw a single save between two shares queue a compaction of a log the next share
    lengthened again). Never compacts inline."""
    _submit_once("compact_index", {"reason": f"{side} change log due"},
                 unless=("index_imported",))


def _submit_once(kind: str, params: dict, *, unless: tuple[str, ...] = ()) -> None:
    """Queue a job of ``kind`` unless one is already waiting or running, or a job of a kind
    in ``unless`` is waiting.

    In eager mode (tests, one-process installs) a job would run inside the request that asked,
    which is exactly what must not happen: there the command line (`build-index`,
    `compact-index`) does it.
    """
    from flask import current_app
    from sqlalchemy import select

    from ..extensions import db
    from ..records import Job, JobStatus
    from ..services import jobs

    if current_app.config.get("JOBS_EAGER"):
        return
    try:  # the new row takes a writer's transaction of its own (``jobs.submit``)
        pending = db.session.scalar(select(Job.id).where(
            Job.kind == kind, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])))
        if pending is None and unless:
            pending = db.session.scalar(select(Job.id).where(
                Job.kind.in_(unless), Job.status == JobStatus.QUEUED).limit(1))
        if pending is None:
            jobs.submit(kind, params)
    except Exception:  # a lost request is asked again by the next save; the caller goes on
        db.session.rollback()
        log.exception("could not queue %s", kind)
