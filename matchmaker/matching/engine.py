"""The matching engine: retrieval, fusion, rules and explanations, with no Flask inside.

Everything comes in as arguments: dense channels (encoder + vector stores), the lexical channel
(BM25 stores), fusion and rule settings, and two callbacks into the database (the source of
truth): ``facts`` returns the rule facts of the fused candidates (an id it does not return was
deleted meanwhile and is skipped) and ``docs`` the texts of the final top k, for explanations.

Directions: "need" ranks patents for a need, "patent" ranks (open) needs for a patent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ..encoders import counting
from ..text import Prepared, key_terms, key_terms_among
from .calibration import Calibrator
from .channels import DenseChannel, LexicalChannel, stored_by_id
from .evidence import calibrated
from .explain import (
    MAX_SENTENCES,
    MAX_SENTENCES_PER_PATENT,
    SentenceCache,
    channel_shares,
    channel_values,
    closest_sentences,
    patent_sentences,
    pieces,
    preselect,
    shared_terms,
    written_text,
)
from .families import CROSS_LANGUAGE, fold
from .feedback import search_again
from .fusion import ChannelRanking, Fused, FusionConfig, fuse
from .languages import languages_from_channels, pair_weights
from .neighbours import smooth
from .rules import NeedFacts, PatentFacts, RuleConfig, excluded, flags, points, prefer

log = logging.getLogger(__name__)

SIDE = {"need": "patents", "patent": "needs"}  # direction -> the side searched


@dataclass
class Doc:
    """A candidate's texts, for explanations."""

    prepared: Prepared
    abstract: str | None = None  # patents only: sentences for explanations
    claims: str | None = None
    title: str | None = None  # patents only: sentences restating it are not shown


@dataclass
class Ranked:
    """One ranked candidate with its explanation."""

    id: int
    score: float
    rank: int
    fused: float
    channels: dict
    rules: list[dict]  # the preference flags (rules.flags): shown, and a bounded tie-break
    explanation: dict = field(default_factory=dict)
    calibrated: int | None = None  # 0-100, see calibration (None: no calibration model)
    band: str | None = None  # "high" | "medium" | "low"
    family: list[int] = field(default_factory=list)  # same family / near-duplicates folded in


class Engine:
    """Ranks candidates for a query through every channel, fuses, applies rules, explains.

    Args:
        dense: dense channels, the primary (multilingual) one first.
        lexical: the BM25 channel, or None.
        fusion: fusion settings (method, weights per language, confidence).
        rules: preference points, the tie-break margin and the home region.
        family_threshold: cosine (primary channel) from which a same-owner, same-IPC patent in
            the other language is one family with another (families.group).
        calibration: maps each candidate's evidence to the calibrated 0-100 score.
    """

    def __init__(self, dense: Sequence[DenseChannel], lexical: LexicalChannel | None, *,
                 fusion: FusionConfig | None = None, rules: RuleConfig | None = None,
                 languages: Callable[[str, Sequence[int]], dict[int, str]] | None = None,
                 calibration: Calibrator | None = None,
                 family_threshold: float = CROSS_LANGUAGE):
        self.dense = list(dense)
        self.lexical = lexical
        self.fusion = fusion or FusionConfig()
        self.rules = rules or RuleConfig()
        # (side, ids) -> {id: language}; default: read off a one-language channel's index
        self.languages = languages or partial(languages_from_channels, self.dense)
        self.calibration = calibration or Calibrator(None)
        self.family_threshold = family_threshold

    @property
    def primary(self) -> DenseChannel | None:
        return self.dense[0] if self.dense else None

    def channels(self) -> list:
        """Every channel, dense first."""
        return [*self.dense, *([self.lexical] if self.lexical else [])]

    def kind(self, channel) -> str:
        if channel is self.lexical:
            return "lexical"
        return "primary" if channel is self.primary else "extra"

    # -- indexing --------------------------------------------------------------------------

    def upsert(self, side: str, ids: Sequence[int], prepared: Sequence[Prepared], *,
               vectors: dict[str, np.ndarray] | None = None) -> None:
        """(Re)index documents of one side in every channel.

        ``vectors`` (channel name -> one row per accepted document, from ``embed``) reuses
        vectors already computed, so a saved record is encoded once for indexing and matching.
        """
        for channel in self.dense:
            channel.upsert(side, ids, prepared, vectors=(vectors or {}).get(channel.name))
        if self.lexical is not None:
            self.lexical.upsert(side, ids, prepared)

    def embed(self, query: Prepared) -> dict[str, np.ndarray]:
        """The vector of ``query`` in every dense channel that understands its language."""
        return {c.name: c.embed([query])[0] for c in self.dense if c.accepts(query.language)}

    def remove(self, side: str, ids: Sequence[int]) -> None:
        """Remove documents of one side from every channel."""
        for channel in self.channels():
            channel.remove(side, ids)

    # -- retrieval -------------------------------------------------------------------------

    def retrieve(self, side: str, query: Prepared, *, depth: int | None = None,
                 vectors: dict[str, np.ndarray] | None = None, coverage: str | None = None
                 ) -> tuple[list[Fused], dict[str, np.ndarray]]:
        """Fused candidates for ``query`` in ``side`` (no rules) and the query's vectors.

        Pseudo-relevance feedback: after a first fusion, each dense channel searches again
        with its query vector moved towards the mean of the first ``feedback_docs`` fused hits
        (Rocchio), and the lists are fused again. Measured +0.006 nDCG@10 on both topical
        tasks; skipped when BM25 is sure of a known item. ``vectors`` (from ``embed``) spares
        encoding a query whose vectors are known. ``coverage``: where BM25's sureness is
        measured ("query" or "doc"; default: the side's setting, ``FusionConfig.coverage``).
        """
        given = vectors or {}
        depth = depth or self.fusion.depth
        language = query.language
        rankings: list[ChannelRanking] = []
        vectors: dict[str, np.ndarray] = {}
        for channel in self.dense:
            kind = self.kind(channel)
            weight = self.fusion.weight(language, channel.name, kind)
            if not channel.accepts(language) or weight <= 0:
                rankings.append(ChannelRanking(channel.name, kind, [], [], weight=0.0))
                continue
            vector = given.get(channel.name)
            if vector is None:
                with counting.purpose(counting.QUERIES):
                    vector = channel.embed([query])[0]
            vectors[channel.name] = vector
            ids, scores = channel.search(side, vector, depth)
            rankings.append(ChannelRanking(channel.name, kind, ids, scores, weight=weight,
                                           pair_weights=pair_weights(self.fusion, language,
                                                                     channel, kind)))
        lexical_sure = None
        if self.lexical is not None:
            weight = self.fusion.weight(language, self.lexical.name, "lexical")
            of = coverage or self.fusion.coverage.get(side, "query")
            ids, scores, lexical_sure = (self.lexical.search(side, query.lexical, depth, of=of)
                                         if weight > 0 else (np.zeros(0, np.int64), np.zeros(0),
                                                             None))
            rankings.append(ChannelRanking(self.lexical.name, "lexical", ids, scores,
                                           weight=weight, sureness=lexical_sure,
                                           pair_weights=pair_weights(
                                               self.fusion, language, self.lexical,
                                               "lexical")))
        union = list(dict.fromkeys(i for r in rankings for i in r.ids.tolist()))
        pairs = {"languages": self.languages(side, union) if union else {},
                 "query_language": language}
        fused = fuse(rankings, self.fusion, **pairs)
        sure = lexical_sure is not None and lexical_sure >= self.fusion.sure_threshold
        wanted = self.fusion.feedback > 0 or self.fusion.lexical_feedback > 0
        if fused and wanted and not sure:
            fused = search_again(self, side, query, fused, rankings, vectors, depth, pairs)
        fused = self.regularise(side, fused, language, pairs["languages"])
        silent = {r.name for r in rankings if r.weight <= 0 or not len(r.ids)}
        for item in fused:  # channels that did not take part are shown with weight 0
            for name in silent:
                item.channels.setdefault(name, {"score": None, "rank": None, "weight": 0.0})
        return fused, vectors

    def regularise(self, side: str, fused: list[Fused], language: str,
                   languages: dict[int, str] | None = None) -> list[Fused]:
        """``fused`` with the candidates after the first ordered by their neighbours' support
        (``neighbours.smooth``, on the primary channel's stored vectors) for a query in
        ``language``; a candidate whose language (``languages``: id -> language, as for
        ``fuse``) is another keeps its place. Unchanged when switched off for ``language``
        or when the index lacks a candidate's vector (stale index)."""
        share = self.fusion.neighbours
        if (share <= 0 or language not in self.fusion.neighbour_languages
                or self.primary is None or len(fused) < 3):
            return fused
        head = [item.id for item in fused[: self.fusion.neighbour_docs]]
        found = stored_by_id(self.primary, side, head)
        if len(found) < len(head):
            return fused
        languages = languages or {}
        movable = [languages.get(i, language) == language for i in head]
        return smooth(fused, np.stack([found[i] for i in head]), share,
                      self.fusion.neighbour_temperature, movable)

    def search(self, side: str, query: Prepared, k: int) -> list[Fused]:
        """Top ``k`` fused candidates (free-text search and evaluation: no rules)."""
        return self.retrieve(side, query)[0][:k]

    def search_calibrated(self, side: str, query: Prepared, k: int
                          ) -> list[tuple[Fused, int | None]]:
        """Top ``k`` fused candidates for typed words (the portal's and the API's search) with
        their calibrated 0-100 scores (None without a calibration model); the order is the
        fused one.

        Typed words are read as a need's, whichever side is searched: BM25's sureness is
        measured on them (on the needs side ``match`` measures it on the short need, since
        there the query is a patent's abstract), and the main calibration model scores them
        (the patent -> needs model was fitted on abstracts as queries).
        """
        fused, vectors = self.retrieve(side, query, coverage="query")
        hits = fused[:k]
        return list(zip(hits, calibrated(self, side, query, hits, fused, vectors, None),
                        strict=True))

    # -- matching --------------------------------------------------------------------------

    def match(self, direction: str, query_facts: NeedFacts | PatentFacts, query: Prepared,
              k: int, *, facts: Callable[[list[int]], dict[int, NeedFacts | PatentFacts]],
              docs: Callable[[list[int]], dict[int, Doc]] | None = None,
              rejected: Collection[tuple[int, int]] = (), explain: bool = True,
              query_doc: Doc | None = None, cache: SentenceCache | None = None,
              vectors: dict[str, np.ndarray] | None = None) -> list[Ranked]:
        """Top ``k`` candidates for a need (direction "need") or a patent ("patent").

        Args:
            query_facts: the facts of the need or patent being matched.
            query: its prepared text.
            facts: returns the rule facts of the candidate ids that still exist.
            docs: returns the texts of the given ids (needed when ``explain``).
            rejected: (need_id, patent_id) pairs a broker rejected: never proposed again.
            query_doc: for direction "patent", the patent itself (its sentences explain).
            cache: sentence vectors shared across the queries of a batch.
            vectors: the query's vectors when already computed (``embed``).
        """
        fused, vectors = self.retrieve(SIDE[direction], query, vectors=vectors)
        known = facts([f.id for f in fused]) if fused else {}
        ranked = self._eligible(direction, query_facts, fused, known, rejected)
        ranked = self._families(direction, ranked, known, k)
        for position, item in enumerate(ranked, start=1):
            item.rank = position
        if explain and ranked and docs is not None:
            texts = docs([r.id for r in ranked])
            ranked = [r for r in ranked if r.id in texts]
            for position, item in enumerate(ranked, start=1):
                item.rank = position
            self._explain(direction, query, query_facts, ranked, texts, vectors, query_doc,
                          cache, fused)
        for item in ranked:
            if item.explanation:
                item.explanation["flags"] = item.rules
                item.explanation["family"] = item.family
        self.calibrate(SIDE[direction], query, ranked, fused, vectors)
        return ranked

    def calibrate(self, side: str, query: Prepared, ranked: list, fused: list[Fused],
                  vectors: dict[str, np.ndarray]) -> None:
        """Set each candidate's calibrated score and band (the order does not change)."""
        if self.calibration.model is None or not ranked:
            return
        scores = calibrated(self, side, query, ranked, fused, vectors, side)
        for item, score in zip(ranked, scores, strict=True):
            item.calibrated, item.band = score, self.calibration.band(score)
            if item.explanation:
                item.explanation.update(calibrated=score, band=item.band)

    def _eligible(self, direction, query_facts, fused, known, rejected) -> list[Ranked]:
        """Eligible candidates by relevance, preference flags breaking near-ties only.

        ``score`` stays the fused relevance: flags never change it (rules.prefer).
        """
        by_id: dict[int, Ranked] = {}
        for item in fused:
            other = known.get(item.id)
            if other is None:
                continue
            need, patent = ((query_facts, other) if direction == "need"
                            else (other, query_facts))
            if excluded(need, patent, rejected, direction=direction):
                continue
            score = round(item.score, 6)
            by_id[item.id] = Ranked(item.id, score, 0, score, item.channels,
                                    flags(need, patent, self.rules))
        order = prefer([(r.id, r.score, points(r.rules)) for r in by_id.values()],
                       self.rules.margin)
        return [by_id[i] for i in order]

    def _families(self, direction, ranked, known, k) -> list[Ranked]:
        """The top ``k`` slots, one per patent family (need -> patents); others: the top k."""
        if direction != "need" or self.primary is None:
            return ranked[:k]
        return fold(ranked, known, self.primary, k, self.family_threshold)

    def _explain(self, direction, query, query_facts, ranked, docs, vectors, query_doc,
                 cache, fused=()) -> None:
        primary = self.primary
        values = channel_values(list(fused), self.fusion.method, self.fusion.rrf_k)
        kinds = {c.name: self.kind(c) for c in self.channels()}
        idf = self._idf("patents")
        if primary is not None and cache is None:
            cache = SentenceCache(primary.encoder)
        query_terms = key_terms(query.lexical)
        pairs = []  # (ranked, need terms, patent terms, patent Doc, need Prepared, patent Prepared)
        for r in ranked:
            doc = docs[r.id]
            if direction == "need":  # a patent's terms matter only where the need has them
                terms = key_terms_among(doc.prepared.lexical, query_terms)
                pairs.append((r, query_terms, terms, doc, query, doc.prepared))
            else:  # a need's terms also choose the patent's sentences: all of them
                terms = key_terms(doc.prepared.lexical)
                pairs.append((r, terms, query_terms, query_doc, doc.prepared, query))
        # Need vectors: the query's own for need -> patents; each candidate need's otherwise.
        if primary is None:
            need_vectors = {}
        elif direction == "need":
            qvec = vectors.get(primary.name)
            if qvec is None:
                qvec = primary.embed([query])[0]
            need_vectors = {r.id: qvec for r in ranked}
        else:
            need_vectors = self._need_vectors([r.id for r in ranked],
                                              [docs[r.id].prepared for r in ranked])
        # Pre-select each pair's candidate sentences, then encode them all in one call.
        chosen = {}
        windows: dict[int, list] = {}  # per patent Doc: patent -> needs has one for all pairs
        for r, need_terms, _, pdoc, _, _ in pairs:
            if id(pdoc) not in windows:
                title = pdoc.title if pdoc else None
                sentences = patent_sentences(pdoc.abstract, pdoc.claims, title) if pdoc else []
                windows[id(pdoc)] = pieces(sentences, title=title)
            chosen[r.id] = preselect(windows[id(pdoc)], need_terms, idf)
        texts = [piece.window for picks in chosen.values() for piece in picks]
        sentence_vectors = cache.vectors(texts) if cache is not None and texts else None
        start = 0
        for r, need_terms, patent_terms, pdoc, need_prep, patent_prep in pairs:
            picks = chosen[r.id]
            closest = []
            if sentence_vectors is not None and picks:
                closest = closest_sentences(need_vectors.get(r.id), picks,
                                            sentence_vectors[start:start + len(picks)])
            start += len(picks)
            r.explanation = {
                "fused": r.fused,
                "score": r.score,
                "channels": r.channels,
                "shares": channel_shares(r.id, r.channels, values, kinds),
                "rules": r.rules,
                "shared_terms": shared_terms(need_terms, patent_terms, idf,
                                             written=(written_text(need_prep),
                                                      written_text(patent_prep, pdoc))),
                "closest_sentences": closest,
                "language": {"need": need_prep.language, "patent": patent_prep.language},
            }

    def pair_sentences(self, need: Prepared, abstract: str | None, claims: str | None,
                       cache: SentenceCache | None = None, limit: int = MAX_SENTENCES,
                       title: str | None = None, need_id: int | None = None) -> list[dict]:
        """The patent sentences closest to one need, every sentence considered.

        Ranked lists explain each pair with one pre-selected window (speed); the pair page
        shows one pair and can afford a window of each of the patent's first
        ``MAX_SENTENCES_PER_PATENT`` sentences. Same format as the stored explanation.
        """
        primary = self.primary
        if primary is None:
            return []
        sentences = patent_sentences(abstract, claims, title)
        picks = preselect(pieces(sentences, title=title), key_terms(need.lexical),
                          self._idf("patents"), limit=MAX_SENTENCES_PER_PATENT)
        if not picks:
            return []
        cache = cache if cache is not None else SentenceCache(primary.encoder)
        need_vector = self._need_vector(need, need_id)
        return closest_sentences(need_vector, picks, cache.vectors([p.window for p in picks]),
                                 limit)

    def _need_vectors(self, ids: list[int], needs: list[Prepared]) -> dict[int, np.ndarray]:
        """Candidate needs' primary vectors: the indexed ones (they were ranked with them),
        encoded only when the index does not hold every one of them."""
        primary = self.primary
        try:
            rows = primary.stored("needs", ids)
        except Exception:  # no usable needs index: encode
            rows = None
        if rows is None or len(rows) != len(ids):
            rows = primary.embed(needs)
        return {i: rows[n] for n, i in enumerate(ids)}

    def _need_vector(self, need: Prepared, need_id: int | None) -> np.ndarray:
        """The need's vector under the primary encoder: the indexed one when the need is in the
        index (the vector its candidates were ranked with; encoding a long need again costs
        tens of milliseconds per pair page), else encoded now."""
        primary = self.primary
        if need_id is not None:
            try:
                rows = primary.stored("needs", [int(need_id)])
            except Exception:  # no needs index yet: encode
                rows = None
            if rows is not None and len(rows):
                return rows[0]
        return primary.embed([need])[0]

    def _idf(self, side: str) -> Callable[[str], float]:
        if self.lexical is None:
            return lambda term: float(len(term))  # longer terms are usually more specific
        try:
            index = self.lexical.index(side)
        except Exception:  # explanation must not fail the match: fall back to term length
            log.warning("no lexical index for %s: shared terms ranked by length", side)
            return lambda term: float(len(term))
        return index.idf
