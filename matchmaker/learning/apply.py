"""The one place the learned reranker touches live ranking: ``pool_size`` and ``rerank``.

With no active model (or for patent -> needs lists, which it was not trained on) both are
identities: the engine's list is served exactly as before. With one, the engine is asked for
``RERANK_DEPTH`` candidates, the model reorders them and the top ``k`` are kept; each kept
item's explanation records the model version (stored on the pair) and its engine rank.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..matching.rules import NeedFacts
from ..records import Match, MatchStatus, Need, Patent
from . import activation
from . import features as F
from .dataset import History, Stored, contexts
from .labels import derive

log = logging.getLogger(__name__)

EXTENSION = "matchmaker.reranker"
_lock = threading.Lock()


def current():
    """This worker's active model, reloaded when ``active.json`` changes; None if none."""
    index_dir = current_app.config["INDEX_DIR"]
    path = activation.R.root(index_dir) / activation.ACTIVE_FILE
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None
    cached = current_app.extensions.get(EXTENSION)
    if cached is None or cached[0] != stamp:
        with _lock:
            try:
                model = activation.active_model(index_dir)
            except (OSError, ValueError, KeyError):  # a broken model must not break matching
                log.exception("active reranker unreadable: serving the engine's ranking")
                model = None
            cached = (stamp, model)
            current_app.extensions[EXTENSION] = cached
    return cached[1]


def pool_size(k: int) -> int:
    """How many candidates to ask the engine for, so the reranker can promote deeper ones."""
    if current() is None:
        return k
    return max(k, int(current_app.config["RERANK_DEPTH"]))


def _history(patent_ids: list[int], need_id: int) -> History:
    rows = db.session.execute(
        select(Match.need_id, Match.patent_id, Match.status, Match.rejection_reason,
               Match.enterprise_feedback)
        .where(Match.patent_id.in_(patent_ids), Match.need_id != need_id,
               or_(Match.status != MatchStatus.CANDIDATE,
                   Match.enterprise_feedback.is_not(None))))
    history = History()
    for other_need, patent_id, status, reason, feedback in rows:
        history.add(other_need, patent_id,
                    derive(str(status), rejection_reason=reason, feedback=feedback).grade)
    return history


def rerank(query_facts, candidates: list, k: int | None = None) -> list:
    """Reorder the engine's ranked candidates with the active model; keep the top ``k``."""
    k = len(candidates) if k is None else k
    model = current() if isinstance(query_facts, NeedFacts) else None
    if model is None or len(candidates) < 2:
        return candidates[:k]
    need = db.session.get(Need, query_facts.id)
    ids = [c.id for c in candidates]
    patents = {p.id: p for p in db.session.scalars(
        select(Patent).where(Patent.id.in_(ids)).options(selectinload(Patent.ipc_links)))}
    if need is None or len(patents) != len(ids):
        return candidates[:k]
    rows = F.matrix(candidates, model.manifest["channels"],
                    contexts(need, [patents[i] for i in ids], _history(ids, need.id)))
    try:  # a model saved by an older version reads the features it was trained on
        rows = F.select(rows, model.manifest["channels"], model.manifest["features"])
    except KeyError:
        log.warning("reranker %s needs features this version lacks; engine order kept",
                    model.version)
        return candidates[:k]
    ranked = [candidates[i] for i in model.order(rows)][:k]
    for position, item in enumerate(ranked, start=1):
        item.explanation = {**item.explanation, "reranker": model.version,
                            "engine_rank": item.rank}
        item.rank = position
    return ranked


__all__ = ["Stored", "current", "pool_size", "rerank"]
