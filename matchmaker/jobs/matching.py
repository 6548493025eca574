"""Matching jobs: the batch run, index builds, and matching one record after it is saved."""

from __future__ import annotations

from ..services import maintenance, records
from .registry import JobContext, job


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


@job("match_need")
def match_need(params: dict, ctx: JobContext) -> dict:
    """Sync, match and store one saved need; announce it when it is new."""
    return records.match_saved("need", params["need_id"], announce=params.get("announce", False))


@job("match_patent")
def match_patent(params: dict, ctx: JobContext) -> dict:
    """Sync, match and store one saved patent; announce it when it is new."""
    return records.match_saved("patent", params["patent_id"],
                               announce=params.get("announce", False))
