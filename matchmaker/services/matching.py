"""Matching use cases for views, CLI and other services: match, search, index, batch, status.

The engine (encoders, vector and lexical stores) is built lazily from ``current_app.config``
once per worker process and kept in ``app.extensions["matchmaker.engine"]``. Stores reload
themselves when another process saved a newer version. A missing or unusable collection is
rebuilt from the database before it is used: results are never served from a wrong index.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..encoders import get_encoder, parse_specs
from ..errors import IndexUnusable, NotFound
from ..extensions import db
from ..learning.apply import pool_size, rerank
from ..matching import batch
from ..matching import rows as R
from ..matching.channels import SIDES, DenseChannel, LexicalChannel
from ..matching.engine import Engine, Ranked
from ..matching.explain import SentenceCache
from ..matching.fusion import FusionConfig
from ..matching.rules import RuleConfig
from ..matching.stores import LexicalStore
from ..records import Need, NeedStatus, Patent
from ..text import prepare_need
from ..vectorindex import IndexStore, build_index
from .index_status import index_status  # re-exported: part of this module's API

log = logging.getLogger(__name__)

EXTENSION = "matchmaker.engine"
ENCODE_BATCH = 256
WORKER_SENTENCE_CACHE = 10_000  # sentence vectors kept per worker for interactive matching
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


# -- the engine ------------------------------------------------------------------------------


def engine() -> Engine:
    """This worker's engine, built on first use (never at import, never before a fork)."""
    state = current_app.extensions.get(EXTENSION)
    if state is None or state[0] != os.getpid():
        with _lock:
            state = current_app.extensions.get(EXTENSION)
            if state is None or state[0] != os.getpid():
                state = (os.getpid(), _build_engine(current_app.config))
                current_app.extensions[EXTENSION] = state
    return state[1]


def warm_up() -> bool:
    """Build this worker's engine and load its models now (gunicorn ``post_worker_init``).

    Loading USE and MiniLM takes seconds; without this the first search or pair page of each
    worker pays for it. A failure is logged, not raised: the worker still serves pages, and the
    first request that needs the engine tries again.
    """
    started = time.perf_counter()
    try:
        eng = engine()
        for channel in eng.dense:
            channel.encoder.encode(["warm up"])
        for store in (c.stores[side] for c in eng.channels() for side in SIDES):
            if store.exists():
                store.fresh()
    except Exception:  # any model or index error: serve anyway, retry on first use
        log.exception("warm-up failed; the engine loads on first use")
        return False
    log.info("engine warmed up in %.1f s", time.perf_counter() - started)
    return True


def _sentence_cache() -> SentenceCache | None:
    """The worker's sentence-vector cache (explanations of patents proposed again and again)."""
    eng = engine()
    if eng.primary is None:
        return None
    cache = current_app.extensions.get(EXTENSION + ".sentences")
    if cache is None or cache.encoder is not eng.primary.encoder:
        cache = SentenceCache(eng.primary.encoder, max_entries=WORKER_SENTENCE_CACHE)
        current_app.extensions[EXTENSION + ".sentences"] = cache
    return cache


def _build_engine(config) -> Engine:
    root, models = config["INDEX_DIR"], config["MODELS_DIR"]
    threads = config.get("ENCODER_THREADS", 2)
    specs = parse_specs(config["ENCODER"]) + parse_specs(config.get("EXTRA_ENCODERS", ""))
    dense = []
    for spec in dict.fromkeys(specs):
        encoder = get_encoder(spec, models_dir=models, threads=threads)
        stores = {side: IndexStore.for_encoder(root, side, encoder,
                                               exact_limit=config.get("EXACT_INDEX_LIMIT", 50_000),
                                               threads=threads) for side in SIDES}
        dense.append(DenseChannel(encoder, stores))
    lexical = LexicalChannel({side: LexicalStore(root, f"{side}-bm25") for side in SIDES})
    rules = RuleConfig(home_region=config.get("HOME_REGION", "包头市"))
    return Engine(dense, lexical, fusion=FusionConfig(), rules=rules)


def _stores(side: str) -> list:
    eng = engine()
    return [c.stores[side] for c in eng.channels()]


def _ensure(side: str) -> None:
    """Rebuild ``side`` from the database when one of its collections is missing or unusable."""
    for store in _stores(side):
        try:
            store.fresh()
        except IndexUnusable as exc:
            log.warning("%s index %s unusable (%s): rebuilding from the database",
                        side, store.name, getattr(exc, "reason", exc))
            _rebuild_side(side)
            return


# -- matching --------------------------------------------------------------------------------


def _candidates(ranked: list[Ranked], need_id: int | None, patent_id: int | None):
    return [Candidate(need_id if need_id is not None else r.id,
                      patent_id if patent_id is not None else r.id,
                      r.score, r.rank, r.channels, r.explanation) for r in ranked]


def _match_need_ranked(need: Need, k: int, explain: bool, cache=None) -> list[Ranked]:
    _ensure("patents")
    facts = R.need_facts(need)
    return rerank(facts, engine().match(  # learned reranker: identity when none is active
        "need", facts, R.prepare_need_row(need), pool_size(k),
        facts=R.load_patent_facts, docs=R.load_patent_docs,
        rejected=R.rejected_pairs(need_id=need.id), explain=explain,
        cache=cache or _sentence_cache()), k)


def _match_patent_ranked(patent: Patent, k: int, explain: bool, cache=None) -> list[Ranked]:
    _ensure("needs")
    prepared = R.prepare_patent_row(patent)
    return engine().match(
        "patent", R.patent_facts(patent), prepared, k,
        facts=R.load_need_facts, docs=R.load_need_docs,
        rejected=R.rejected_pairs(patent_id=patent.id), explain=explain,
        query_doc=R.Doc(prepared, patent.abstract, patent.claims),
        cache=cache or _sentence_cache())


def match_need(need: Need, k: int = 10, *, explain: bool = True) -> list[Candidate]:
    """Top ``k`` patents for a need, business rules applied, best first."""
    return _candidates(_match_need_ranked(need, k, explain), need.id, None)


def match_patent(patent: Patent, k: int = 10, *, explain: bool = True) -> list[Candidate]:
    """Top ``k`` open needs for a patent, business rules applied, best first."""
    return _candidates(_match_patent_ranked(patent, k, explain), None, patent.id)


def pair_sentences(need: Need, patent: Patent) -> list[dict]:
    """The patent's sentences closest to the need, each of them considered (the pair page).

    The stored explanation ranks a single pre-selected sentence per pair to keep batch and
    ranked-list matching fast; one pair can afford all of them. Uses the worker's sentence
    cache, so a second view of the same patent encodes only the need.
    """
    return engine().pair_sentences(R.prepare_need_row(need), patent.abstract, patent.claims,
                                   cache=_sentence_cache())


def _search(side: str, model, query: str, k: int) -> list[tuple[int, float]]:
    if not (query or "").strip():
        return []
    _ensure(side)
    hits = engine().search(side, prepare_need(query), k * 2)
    alive = set(db.session.scalars(select(model.id).where(model.id.in_([h.id for h in hits]))))
    return [(h.id, h.score) for h in hits if h.id in alive][:k]


def search_patents(query: str, k: int = 20) -> list[tuple[int, float]]:
    """Free-text semantic + lexical search over patents in force: (patent_id, score)."""
    return _search("patents", Patent, query, k)


def search_needs(query: str, k: int = 20) -> list[tuple[int, float]]:
    """Free-text search over open needs: (need_id, score). Callers apply visibility rules."""
    return _search("needs", Need, query, k)


# -- indexing --------------------------------------------------------------------------------


def _rebuild_side(side: str, progress: bool = False) -> dict:
    eng = engine()
    started = time.perf_counter()
    records = R.indexable_patents() if side == "patents" else R.indexable_needs()
    prepare = R.prepare_patent_row if side == "patents" else R.prepare_need_row
    ids, prepared = [], []
    for record in records:
        ids.append(record.id)
        prepared.append(prepare(record))
    config = current_app.config
    for channel in eng.dense:
        keep_ids, keep_prep, _ = channel.split(ids, prepared)
        index = build_index(channel.encoder.dim, len(keep_ids),
                            exact_limit=config.get("EXACT_INDEX_LIMIT", 50_000),
                            threads=config.get("ENCODER_THREADS", 2))
        for start in range(0, len(keep_ids), ENCODE_BATCH * 4):
            part = slice(start, start + ENCODE_BATCH * 4)
            vectors = channel.embed(keep_prep[part], progress=progress)
            index.add(_int64(keep_ids[part]), vectors)
        channel.stores[side].save(index)
    lexical = eng.lexical.stores[side]
    index = lexical.new_index()
    index.add(ids, [p.lexical for p in prepared])
    lexical.save(index)
    seconds = round(time.perf_counter() - started, 2)
    log.info("rebuilt %s index: %d documents in %.1f s", side, len(ids), seconds)
    return {"count": len(ids), "seconds": seconds}


def _int64(ids):
    import numpy as np

    return np.asarray(ids, dtype=np.int64)


def rebuild_indexes(progress: bool = False) -> dict:
    """Rebuild every collection from the database; returns counts and timings per side."""
    report = {side: _rebuild_side(side, progress) for side in SIDES}
    report["encoders"] = [c.name for c in engine().dense]
    return report


def _sync(side: str, ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in ids})
    if not ids:
        return
    try:
        for store in _stores(side):
            store.fresh()
    except IndexUnusable:
        _rebuild_side(side)  # an incremental update of a broken index would hide the damage
        return
    model = Patent if side == "patents" else Need
    keep = R.is_indexable_patent if side == "patents" else R.is_indexable_need
    prepare = R.prepare_patent_row if side == "patents" else R.prepare_need_row
    found = {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))}
    live = [found[i] for i in ids if keep(found.get(i))]
    gone = [i for i in ids if not keep(found.get(i))]
    eng = engine()
    if live:
        eng.upsert(side, [r.id for r in live], [prepare(r) for r in live])
    if gone:
        eng.remove(side, gone)


def sync_patents(ids: Iterable[int]) -> None:
    """Bring the patents' index entries in line with the database (add, update or remove)."""
    _sync("patents", ids)


def sync_needs(ids: Iterable[int]) -> None:
    """Bring the needs' index entries in line with the database (add, update or remove)."""
    _sync("needs", ids)


# -- storing matches -------------------------------------------------------------------------


def _top_k(k: int | None) -> int:
    return int(k or current_app.config.get("MATCH_TOP_K", 10))


def run_batch_matching(top_k: int | None = None, progress: bool = False) -> dict:
    """Match every open need and every dormant patent in force; store candidates."""
    k = _top_k(top_k)
    _ensure("patents")
    _ensure("needs")
    started = time.perf_counter()
    need_ids = list(db.session.scalars(
        select(Need.id).where(Need.status == NeedStatus.OPEN).order_by(Need.id)))
    patent_ids = list(db.session.scalars(
        select(Patent.id).where(Patent.dormant.is_(True),
                                Patent.legal_status.in_(R.IN_FORCE)).order_by(Patent.id)))
    eng = engine()
    cache = SentenceCache(eng.primary.encoder) if eng.primary else None
    report = batch.run(
        need_ids, patent_ids,
        lambda nid: _match_need_ranked(db.session.get(Need, nid), k, True, cache),
        lambda pid: _match_patent_ranked(db.session.get(Patent, pid), k, True, cache),
        progress=progress,
    )
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def match_and_store_need(need_id: int, k: int | None = None) -> int:
    """Match one need now and store its candidates like the batch; returns rows written."""
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound(f"need {need_id} does not exist")
    sync_needs([need_id])
    ranked = _match_need_ranked(need, _top_k(k), True)
    created, refreshed = batch.store([(need_id, r.id, r) for r in ranked], "need")
    db.session.commit()
    return created + refreshed


def match_and_store_patent(patent_id: int, k: int | None = None) -> int:
    """Match one patent now and store its candidates like the batch; returns rows written."""
    patent = db.session.get(Patent, patent_id)
    if patent is None:
        raise NotFound(f"patent {patent_id} does not exist")
    sync_patents([patent_id])
    if patent.legal_status not in R.IN_FORCE:
        return 0
    ranked = _match_patent_ranked(patent, _top_k(k), True)
    created, refreshed = batch.store([(r.id, patent_id, r) for r in ranked], "patent")
    db.session.commit()
    return created + refreshed


__all__ = [
    "Candidate", "index_status", "match_and_store_need", "match_and_store_patent",
    "match_need", "match_patent", "pair_sentences", "rebuild_indexes", "run_batch_matching",
    "search_needs", "search_patents", "sync_needs", "sync_patents", "warm_up",
]
