"""``MatchingService``: the engine plus the database, one object per worker process.

Built by ``services.matching.service()`` from ``EngineSettings`` on first use and kept in
``app.extensions``. Requests read and write through it but never rebuild a collection: an
unusable one raises ``IndexUnusable`` after asking for a rebuild outside the request
(``request_rebuild``); ``rebuild`` is for the CLI and background jobs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy import select

from ..errors import IndexUnusable, NotFound
from ..extensions import begin_write, db
from ..learning import teach
from ..learning.apply import pool_size, rerank
from ..matching import batch
from ..matching import rows as R
from ..matching.builder import index_documents
from ..matching.channels import SIDES
from ..matching.engine import Engine, Ranked
from ..matching.explain import SentenceCache
from ..matching.fusion import Fused
from ..matching.settings import EngineSettings
from ..records import Need, NeedStatus, Patent
from ..signals import index_compaction_due, index_rebuild_requested
from ..text import prepare_need
from ..text.segment import tokenizer
from . import batch_pool

log = logging.getLogger(__name__)

WORKER_SENTENCE_CACHE = 10_000  # sentence vectors kept per worker for interactive matching
OWN_SIDE = {"need": "needs", "patent": "patents"}  # a record's own collections
#: extra candidates asked of the engine, so that demoted look-alikes of rejected pairs
#: (learning.teach) can leave the top k to the next ones
TEACH_SLACK = 3


def request_rebuild(side: str) -> None:
    """Ask for ``side`` to be rebuilt outside the request; receivers of
    ``index_rebuild_requested`` (a background job) do it, without one this only logs."""
    log.warning("%s index unusable: rebuild requested (run `flask build-index`)", side)
    index_rebuild_requested.send(None, side=side)


class MatchingService:
    """Match, search, sync and rebuild over one ``Engine``.

    Args:
        engine: from ``build_engine(settings)``.
        settings: the settings it was built from (top k).
        on_unusable: called with the side when a request meets an unusable collection.
    """

    def __init__(self, engine: Engine, settings: EngineSettings, *,
                 on_unusable: Callable[[str], None] = request_rebuild):
        self.engine = engine
        self.settings = settings
        self.on_unusable = on_unusable
        primary = engine.primary
        self.sentences = (SentenceCache(primary.encoder, max_entries=WORKER_SENTENCE_CACHE)
                          if primary is not None else None)

    # -- state -----------------------------------------------------------------------------

    def stores(self, side: str) -> list:
        """Every collection of ``side``, dense first."""
        return [c.stores[side] for c in self.engine.channels()]

    def ready(self, side: str, *, rebuild: bool = False) -> None:
        """Load ``side``'s collections; when one is unusable, rebuild it (``rebuild``: CLI and
        jobs) or request a rebuild and raise IndexUnusable (requests)."""
        for store in self.stores(side):
            try:
                store.fresh()
            except IndexUnusable as exc:
                if not rebuild:
                    self.on_unusable(side)
                    raise
                log.warning("%s index %s unusable (%s): rebuilding from the database",
                            side, store.name, getattr(exc, "reason", exc))
                self.rebuild_side(side)
                return

    def writable(self, side: str) -> bool:
        """True when ``side`` can take an incremental update. A never-built collection cannot
        (a rebuild is requested: it will read these records from the database); a broken one
        raises IndexUnusable, since updating it would hide the damage."""
        if not all(store.exists() for store in self.stores(side)):
            self.on_unusable(side)
            return False
        self.ready(side)
        return True

    def warm_up(self) -> None:
        """Load the models, jieba's dictionary (the keyword search's and BM25's tokenizer: about
        a second, which each worker's first search paid) and every collection that exists."""
        tokenizer()
        for channel in self.engine.dense:
            channel.encoder.encode(["warm up"])
        for side in SIDES:
            for store in self.stores(side):
                if store.exists():
                    store.fresh()

    # -- reading ---------------------------------------------------------------------------

    def search(self, side: str, query: str, k: int) -> list[Fused]:
        """Top ``k`` fused hits for free text (no rules, no database filter)."""
        if not (query or "").strip():
            return []
        self.ready(side)
        return self.engine.search(side, prepare_need(query), k)

    def search_calibrated(self, side: str, query: str, k: int
                          ) -> list[tuple[Fused, int | None]]:
        """``search`` with each hit's calibrated 0-100 score (the portal's and API's search)."""
        if not (query or "").strip():
            return []
        self.ready(side)
        return self.engine.search_calibrated(side, prepare_need(query), k)

    def match_need(self, need: Need, k: int, *, explain: bool = True,
                   cache: SentenceCache | None = None, vectors: dict | None = None
                   ) -> list[Ranked]:
        """Top ``k`` patents for a need, rules applied, then the learned reranker if active."""
        self.ready("patents")
        facts = R.need_facts(need)
        ranked = rerank(facts, self.engine.match(  # identity when no reranker is active
            "need", facts, R.prepare_need_row(need), pool_size(k) + TEACH_SLACK,
            facts=R.load_patent_facts, docs=R.load_patent_docs,
            rejected=R.rejected_pairs(need_id=need.id), explain=explain,
            cache=cache or self.sentences, vectors=vectors))
        return teach.apply(self.engine, "need", need.id, ranked)[:k]

    def match_patent(self, patent: Patent, k: int, *, explain: bool = True,
                     cache: SentenceCache | None = None, vectors: dict | None = None
                     ) -> list[Ranked]:
        """Top ``k`` open needs for a patent, rules applied."""
        self.ready("needs")
        prepared = R.prepare_patent_row(patent)
        ranked = self.engine.match(
            "patent", R.patent_facts(patent), prepared, k + TEACH_SLACK,
            facts=R.load_need_facts, docs=R.load_need_docs,
            rejected=R.rejected_pairs(patent_id=patent.id), explain=explain,
            query_doc=R.Doc(prepared, patent.abstract, patent.claims, patent.title),
            cache=cache or self.sentences, vectors=vectors)
        return teach.apply(self.engine, "patent", patent.id, ranked)[:k]

    def rank_record(self, direction: str, record_id: int, k: int,
                    cache: SentenceCache | None = None) -> list[Ranked]:
        """One record's list as the batch ranks it ("need" or "patent"): queried with the
        vectors its own collections hold (built from the same prepared text), so the batch
        never encodes an indexed document a second time."""
        vectors = self.indexed_vectors(OWN_SIDE[direction], record_id)
        if direction == "need":
            return self.match_need(db.session.get(Need, record_id), k, cache=cache,
                                   vectors=vectors)
        return self.match_patent(db.session.get(Patent, record_id), k, cache=cache,
                                 vectors=vectors)

    def indexed_vectors(self, side: str, record_id: int) -> dict:
        """Channel name -> the vector ``side``'s collections hold for the record; channels
        that do not hold it are left out (``Engine.retrieve`` encodes for those)."""
        found = {}
        for channel in self.engine.dense:
            rows = channel.stored(side, [int(record_id)])
            if rows is not None and len(rows):
                found[channel.name] = rows[0]
        return found

    def pair_sentences(self, need: Need, patent: Patent) -> list[dict]:
        """The patent's sentences closest to the need, every sentence considered."""
        return self.engine.pair_sentences(R.prepare_need_row(need), patent.abstract,
                                          patent.claims, cache=self.sentences,
                                          title=patent.title, need_id=need.id)

    # -- writing ---------------------------------------------------------------------------

    def sync(self, side: str, ids: Iterable[int], *, compact_later: bool = True) -> None:
        """Bring ``side``'s entries for ``ids`` in line with the database (add, update, remove);
        a long change log then asks for a compaction job, unless ``compact_later`` is False
        (the caller compacts itself, as ``flask demo`` does)."""
        ids = sorted({int(i) for i in ids})
        if not ids:
            return
        if not self.writable(side):
            return
        model = Patent if side == "patents" else Need
        keep = R.is_indexable_patent if side == "patents" else R.is_indexable_need
        prepare = R.prepare_patent_row if side == "patents" else R.prepare_need_row
        found = {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))}
        live = [found[i] for i in ids if keep(found.get(i))]
        gone = [i for i in ids if not keep(found.get(i))]
        if live:
            self.engine.upsert(side, [r.id for r in live], [prepare(r) for r in live])
        if gone:
            self.engine.remove(side, gone)
        if compact_later:
            self._announce_compaction(side)

    def index_and_match(self, direction: str, record_id: int, k: int | None = None) -> int:
        """Index one saved need ("need") or patent ("patent") and store its candidates.

        The record is prepared and encoded once: the same vectors go into its own collections
        and query the other side. Returns the candidate rows written.
        """
        model = Need if direction == "need" else Patent
        record = db.session.get(model, record_id)
        if record is None:
            raise NotFound(f"{direction} {record_id} does not exist")
        side = OWN_SIDE[direction]
        prepared = (R.prepare_need_row(record) if direction == "need"
                    else R.prepare_patent_row(record))
        vectors = self.engine.embed(prepared)
        indexable = (R.is_indexable_need(record) if direction == "need"
                     else R.is_indexable_patent(record))
        if not self.writable(side):
            pass  # the requested rebuild indexes it
        else:
            if indexable:
                self.engine.upsert(side, [record.id], [prepared],
                                   vectors={name: v[None, :] for name, v in vectors.items()})
            else:
                self.engine.remove(side, [record.id])
            self._announce_compaction(side)
        if direction == "patent" and not R.is_indexable_patent(record):
            return 0
        k = int(k or self.settings.top_k)
        if direction == "need":
            ranked = self.match_need(record, k, vectors=vectors)
            triples = [(record.id, r.id, r) for r in ranked]
        else:
            ranked = self.match_patent(record, k, vectors=vectors)
            triples = [(r.id, record.id, r) for r in ranked]
        begin_write()  # see match_indexed
        created, refreshed = batch.store(triples, direction)
        db.session.commit()
        return created + refreshed

    def match_indexed(self, direction: str, record_id: int, k: int | None = None) -> int:
        """Store the candidates of one need ("need") or patent ("patent") whose index entry is
        already synced (an import's follow-up job): queried with the vectors its collections
        hold, so nothing is encoded again. A record gone, closed or lapsed gets none; rows
        written are returned (uncommitted)."""
        model = Need if direction == "need" else Patent
        record = db.session.get(model, record_id)
        indexable = R.is_indexable_need if direction == "need" else R.is_indexable_patent
        if record is None or not indexable(record):
            return 0
        ranked = self.rank_record(direction, record_id, int(k or self.settings.top_k))
        triples = ([(record_id, r.id, r) for r in ranked] if direction == "need"
                   else [(r.id, record_id, r) for r in ranked])
        # The pairs are written in a writer's transaction: on SQLite the one the ranking read in
        # may have gone stale (a broker's click committed meanwhile), and its first write would
        # be refused at once (QA pass 6: a need's matching refused three times in 0.8 s).
        begin_write()
        created, refreshed = batch.store(triples, direction)
        return created + refreshed

    def rebuild_side(self, side: str, progress: bool = False, workers: int = 1) -> dict:
        """Rebuild ``side``'s collections from the database (CLI and jobs, never a request);
        ``workers`` > 1 encodes in that many processes (``batch_pool.vector_source``)."""
        started = time.perf_counter()
        records = R.indexable_patents() if side == "patents" else R.indexable_needs()
        prepare = R.prepare_patent_row if side == "patents" else R.prepare_need_row
        ids, prepared = [], []
        for record in records:
            ids.append(record.id)
            prepared.append(prepare(record))
        vectors = (batch_pool.vector_source(self, workers, progress)
                   if batch_pool.usable_workers(workers, len(ids)) > 1 else None)
        index_documents(self.engine, side, ids, prepared, vectors=vectors, progress=progress)
        seconds = round(time.perf_counter() - started, 2)
        log.info("rebuilt %s index: %d documents in %.1f s", side, len(ids), seconds)
        return {"count": len(ids), "seconds": seconds}

    def rebuild(self, progress: bool = False, workers: int = 1) -> dict:
        """Rebuild every collection; counts and timings per side."""
        report = {side: self.rebuild_side(side, progress, workers) for side in SIDES}
        report["encoders"] = [c.name for c in self.engine.dense]
        return report

    def compaction_due(self, side: str) -> bool:
        """Whether a collection of ``side`` holds enough logged changes to fold: at least
        ``compact_min``, and ``compact_share`` of its documents. Until a compaction, BM25 scores
        the log with the base's document count, idf and average length (a removed need still
        counts), so rankings drift from a rebuild's as the log grows."""
        share, least = self.settings.compact_share, self.settings.compact_min
        for store in self.stores(side):
            if store.exists():
                view = store.fresh()
                if view.pending >= max(least, share * len(view)):
                    return True
        return False

    def _announce_compaction(self, side: str) -> None:
        if self.compaction_due(side):
            index_compaction_due.send(None, side=side)

    def compact(self) -> dict:
        """Fold every collection's delta log into a new base (jobs and CLI); the number of
        changed ids folded per collection."""
        folded = {}
        for side in SIDES:
            for store in self.stores(side):
                if store.exists():
                    folded[store.name] = store.pending()
                    store.compact()
        return folded

    def run_batch(self, k: int | None = None, progress: bool = False,
                  workers: int = 1) -> dict:
        """Match every open need and every dormant patent in force; store candidates.
        ``workers`` > 1 ranks in that many processes (``batch_pool``); the rows are the same."""
        k = int(k or self.settings.top_k)
        self.ready("patents", rebuild=True)
        self.ready("needs", rebuild=True)
        started = time.perf_counter()
        need_ids = list(db.session.scalars(
            select(Need.id).where(Need.status == NeedStatus.OPEN).order_by(Need.id)))
        patent_ids = list(db.session.scalars(
            select(Patent.id).where(Patent.dormant.is_(True),
                                    R.offered_patents()).order_by(Patent.id)))
        todo = batch.records(need_ids, patent_ids)
        workers = batch_pool.usable_workers(workers, len(todo))
        if workers > 1:
            db.session.commit()  # the workers read what this process has written so far
            rankings = batch_pool.rankings(self, todo, k, workers)
        else:
            primary = self.engine.primary
            cache = SentenceCache(primary.encoder) if primary else None
            rankings = (self.rank_record(direction, record_id, k, cache)
                        for record_id, direction in todo)
        report = batch.run(todo, rankings, progress=progress)
        report["workers"] = workers
        report["seconds"] = round(time.perf_counter() - started, 2)
        return report
