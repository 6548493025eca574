"""Matching use cases for views, CLI, jobs and other services: match, search, index, batch.

Thin functions over this worker's ``MatchingService`` (``services.matching_service``), built
from ``EngineSettings`` on first use (never at import, never before a fork) and kept in
``app.extensions["matchmaker.engine"]``. A request never rebuilds an index: an unusable one
raises ``IndexUnusable`` (views say "being rebuilt, try later") after ``request_rebuild``.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..matching.builder import build_engine
from ..matching.engine import Engine, Ranked
from ..matching.settings import EngineSettings
from ..records import Need, Patent
from .index_status import index_status  # re-exported: part of this module's API
from .matching_service import MatchingService, request_rebuild

log = logging.getLogger(__name__)

EXTENSION = "matchmaker.engine"
_lock = threading.Lock()


@dataclass
class Candidate:
    """A proposed (need, patent) pair with its score and explanation."""

    need_id: int
    patent_id: int
    score: float
    rank: int
    channel_scores: dict
    explanation: dict
    calibrated: int | None = None  # 0-100 (matching.calibration); None: uncalibrated
    band: str | None = None


# -- the service -----------------------------------------------------------------------------


def build_service(config) -> MatchingService:
    """A service for a Flask config: the one place the portal and CLI assemble the engine."""
    settings = EngineSettings.from_config(config)
    return MatchingService(build_engine(settings), settings)


def service() -> MatchingService:
    """This worker's service, built on first use (never at import, never before a fork)."""
    state = current_app.extensions.get(EXTENSION)
    if state is None or state[0] != os.getpid():
        with _lock:
            state = current_app.extensions.get(EXTENSION)
            if state is None or state[0] != os.getpid():
                state = (os.getpid(), build_service(current_app.config))
                current_app.extensions[EXTENSION] = state
    return state[1]


def engine() -> Engine:
    """This worker's engine."""
    return service().engine


def warm_up() -> bool:
    """Build this worker's service and load its models and indexes now (gunicorn hook).

    Loading USE and MiniLM takes seconds; without this the first search or pair page of each
    worker pays for it. A failure is logged, not raised: the worker still serves pages, and the
    first request that needs the engine tries again.
    """
    started = time.perf_counter()
    try:
        service().warm_up()
    except Exception:  # any model or index error: serve anyway, retry on first use
        log.exception("warm-up failed; the engine loads on first use")
        return False
    log.info("engine warmed up in %.1f s", time.perf_counter() - started)
    return True


def freeze_heap() -> None:
    """Take what is loaded so far (models, indexes, jieba's dictionary) out of the garbage
    collector's full passes (``gc.freeze``), after a warm-up (gunicorn hook).

    A full collection walks every live container: with a 100k-patent index loaded that is
    millions of objects, a pause of several milliseconds landing on whichever request passes the
    threshold (bench/bench_matching.py, 100k patents: mean match time 6.6 -> 4.2 ms in the rules
    step where the pauses fell). Frozen objects are never collected; they live as long as the
    worker anyway.
    """
    gc.collect()
    gc.freeze()


# -- matching --------------------------------------------------------------------------------


def _candidates(ranked: list[Ranked], need_id: int | None, patent_id: int | None):
    return [Candidate(need_id if need_id is not None else r.id,
                      patent_id if patent_id is not None else r.id,
                      r.score, r.rank, r.channels, r.explanation, r.calibrated, r.band)
            for r in ranked]


def match_need(need: Need, k: int = 10, *, explain: bool = True) -> list[Candidate]:
    """Top ``k`` patents for a need, business rules applied, best first."""
    return _candidates(service().match_need(need, k, explain=explain), need.id, None)


def match_patent(patent: Patent, k: int = 10, *, explain: bool = True) -> list[Candidate]:
    """Top ``k`` open needs for a patent, business rules applied, best first."""
    return _candidates(service().match_patent(patent, k, explain=explain), None, patent.id)


def pair_sentences(need: Need, patent: Patent) -> list[dict]:
    """The patent's sentences closest to the need, each of them considered (the pair page)."""
    return service().pair_sentences(need, patent)


class SearchHit(NamedTuple):
    """A free-text search hit: the record's id, the engine's fused score (relative to the
    query) and the calibrated 0-100 score (None without a calibration model)."""

    id: int
    score: float
    calibrated: int | None = None


def _search(side: str, model, query: str, k: int) -> list[SearchHit]:
    hits = service().search_calibrated(side, query, k * 2)
    if not hits:
        return []
    alive = set(db.session.scalars(
        select(model.id).where(model.id.in_([hit.id for hit, _score in hits]))))
    return [SearchHit(hit.id, hit.score, calibrated) for hit, calibrated in hits
            if hit.id in alive][:k]


def search_patents(query: str, k: int = 20) -> list[SearchHit]:
    """Free-text semantic + lexical search over patents in force, best first."""
    return _search("patents", Patent, query, k)


def search_needs(query: str, k: int = 20) -> list[SearchHit]:
    """Free-text search over open needs, best first. Callers apply visibility rules."""
    return _search("needs", Need, query, k)


# -- indexing --------------------------------------------------------------------------------


def rebuild_indexes(progress: bool = False, workers: int | None = None) -> dict:
    """Rebuild every collection from the database; returns counts and timings per side.
    ``workers`` processes encode (default ``BATCH_WORKERS``; 0: one per core)."""
    return service().rebuild(progress, _workers(workers))


def compact_indexes() -> dict:
    """Fold the delta logs of every collection into new bases (jobs and CLI, not requests)."""
    return service().compact()


def sync_patents(ids: Iterable[int], *, compact_later: bool = True) -> None:
    """Bring the patents' index entries in line with the database (add, update or remove);
    ``compact_later=False``: queue no compaction job, the caller compacts or asks later."""
    service().sync("patents", ids, compact_later=compact_later)


def sync_needs(ids: Iterable[int], *, compact_later: bool = True) -> None:
    """Bring the needs' index entries in line with the database (add, update or remove);
    ``compact_later=False``: queue no compaction job, the caller compacts."""
    service().sync("needs", ids, compact_later=compact_later)


# -- storing matches -------------------------------------------------------------------------


def run_batch_matching(top_k: int | None = None, progress: bool = False,
                       workers: int | None = None) -> dict:
    """Match every open need and every dormant patent in force; store candidates, ranked by
    ``workers`` processes (default ``BATCH_WORKERS``; 0: one per core)."""
    return service().run_batch(top_k, progress, _workers(workers))


def _workers(asked: int | None) -> int:
    """Processes for batch work: ``asked``, else the ``BATCH_WORKERS`` setting."""
    return int(current_app.config.get("BATCH_WORKERS", 1)) if asked is None else asked


def match_and_store_need(need_id: int, k: int | None = None) -> int:
    """Index one need and store its candidates like the batch (encoded once); rows written."""
    return service().index_and_match("need", need_id, k)


def match_indexed(direction: str, record_id: int, k: int | None = None) -> int:
    """Store the candidates of one indexed need or patent without encoding it (rows written,
    uncommitted)."""
    return service().match_indexed(direction, record_id, k)


def match_and_store_patent(patent_id: int, k: int | None = None) -> int:
    """Index one patent and store its candidates like the batch (encoded once); rows written."""
    return service().index_and_match("patent", patent_id, k)


__all__ = [
    "Candidate", "MatchingService", "build_service", "compact_indexes", "engine",
    "index_status",
    "match_and_store_need", "match_and_store_patent", "match_indexed", "match_need",
    "match_patent", "pair_sentences", "rebuild_indexes", "request_rebuild", "run_batch_matching",
    "search_needs",
    "search_patents", "SearchHit", "service", "sync_needs", "sync_patents", "warm_up", "freeze_heap",
]
