"""Pseudo-relevance feedback (matching/feedback.py): the expansion itself, BM25's weighted
search, and the engine's guard (a known item is searched once, unchanged)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matchmaker.indexing import sparse_store
from matchmaker.indexing.delta import UPSERT
from matchmaker.indexing.sparse.bm25 import BM25Index
from matchmaker.indexing.sparse.overlay import SparseView
from matchmaker.matching.channels import LexicalChannel
from matchmaker.matching.engine import Engine
from matchmaker.matching.feedback import expand_terms, rocchio
from matchmaker.matching.fusion import FusionConfig
from matchmaker.text import prepare_need, prepare_patent

# Three documents share one query word each and the words "grain boundary diffusion"; the
# fourth is about the same thing without any query word: only feedback can find it.
DOCS = {
    1: ("Magnet alloy", "Magnet made by grain boundary diffusion of heavy rare earth."),
    2: ("Coercivity", "Coercivity raised by grain boundary diffusion at the surface."),
    3: ("Dysprosium coating", "Dysprosium coating followed by grain boundary diffusion."),
    4: ("Terbium infiltration", "Terbium infiltrated along grain boundaries by diffusion heat "
                                "treatment of sintered bodies."),
    5: ("Ceria polishing slurry", "A ceria polishing slurry for optical glass."),
    6: ("Wind turbine blade", "Heating films melt ice on wind turbine blades."),
}
TOPICAL = "magnet coercivity dysprosium"  # each first hit covers a third: BM25 is not sure
KNOWN_ITEM = "ceria polishing slurry optical glass"  # one document holds every term


def _index() -> BM25Index:
    index = BM25Index()
    index.add(list(DOCS), [prepare_patent(t, a).lexical for t, a in DOCS.values()])
    return index


def test_expand_terms_mixes_the_query_with_the_heaviest_feedback_terms():
    query = {"magnet": 1.0, "coercivity": 1.0}
    docs = [{"grain": 3.0, "magnet": 1.0}, {"grain": 1.0, "boundary": 1.0, "noise": 0.1}, {}]
    expanded = expand_terms(query, docs, terms=3, mix=0.4)
    assert set(expanded) == {"magnet", "coercivity", "grain", "boundary"}  # "noise" cut
    assert sum(expanded.values()) == pytest.approx(1.0)
    assert expanded["grain"] > expanded["boundary"]
    assert expanded["magnet"] > expanded["coercivity"]  # a query term the hits also hold
    assert expand_terms(query, docs, terms=2, mix=0.0) == query
    assert expand_terms(query, [{}], terms=2, mix=0.5) == query


def test_rocchio_moves_the_query_towards_the_hits_and_stays_unit_length():
    query = np.array([1.0, 0.0, 0.0], np.float32)
    stored = np.array([[0.0, 1.0, 0.0], [0.0, 0.8, 0.6]], np.float32)
    moved = rocchio(query, stored, 0.5)
    assert np.linalg.norm(moved) == pytest.approx(1.0)
    assert moved @ stored.mean(axis=0) > query @ stored.mean(axis=0)


def test_weighted_search_with_query_weights_is_plain_search():
    index = _index()
    text = prepare_need(TOPICAL).lexical
    ids, scores = index.search(text, 10)
    wids, wscores = index.search_weighted(index.query_weights(text), 10)
    assert wids.tolist() == ids.tolist()
    assert np.allclose(wscores, scores, rtol=1e-5)


def test_bm25_feedback_finds_a_document_sharing_no_query_term():
    index = _index()
    text = prepare_need(TOPICAL).lexical
    plain, _ = index.search(text, 10)
    assert 4 not in plain.tolist()
    weights = expand_terms(index.query_weights(text), index.term_weights([1, 2, 3]),
                           terms=10, mix=0.5)
    expanded, _ = index.search_weighted(weights, 10)
    assert set(expanded.tolist()[:3]) == {1, 2, 3}
    assert 4 in expanded.tolist()
    assert expanded.tolist().index(4) == 3  # right after the three hits it was fed
    assert not {5, 6} & set(expanded.tolist())  # nothing about something else


def test_term_weights_of_unknown_ids_are_empty_and_of_log_documents_their_own():
    index = _index()
    assert index.term_weights([99]) == [{}]
    view = SparseView(index)
    # a document upserted through the delta log is weighted and found like a base one
    view.apply(UPSERT, 7, view.pack(prepare_patent("Terbium grain boundary",
                                                   "Terbium diffusion.").lexical))
    view.apply(UPSERT, 1, view.pack(prepare_patent("Magnet", "Magnet only.").lexical))
    weights = view.term_weights([7, 1, 2])
    assert weights[0] and weights[2]
    assert set(weights[1]) < set(index.term_weights([1])[0])  # the log's text, not the base's
    ids, _ = view.search_weighted(view.query_weights("terbium"), 10)
    assert ids.tolist()[0] == 7 and 4 in ids.tolist()
    ids, _ = view.search_weighted({"grain": 1.0}, 10)
    assert 1 not in ids.tolist() and 7 in ids.tolist()  # the log replaced document 1


def _engine(tmp_path, **fusion) -> Engine:
    lexical = LexicalChannel({"patents": sparse_store(str(tmp_path), "patents")})
    engine = Engine([], lexical, fusion=FusionConfig(**fusion))
    engine.upsert("patents", list(DOCS), [prepare_patent(t, a) for t, a in DOCS.values()])
    return engine


def test_engine_feedback_finds_the_document_the_plain_query_misses(tmp_path):
    engine = _engine(tmp_path, lexical_feedback=0.5, feedback_terms=10)
    query = prepare_need(TOPICAL)
    with_feedback = [f.id for f in engine.search("patents", query, 10)]
    engine.fusion = replace(engine.fusion, lexical_feedback=0.0)
    without = [f.id for f in engine.search("patents", query, 10)]
    assert 4 not in without
    assert 4 in with_feedback
    assert set(with_feedback[:3]) == set(without[:3]) == {1, 2, 3}


def test_engine_leaves_a_confident_known_item_query_unchanged(tmp_path):
    engine = _engine(tmp_path, lexical_feedback=0.5, feedback_terms=10)
    calls = []
    original = engine.lexical.search_expanded

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    engine.lexical.search_expanded = counting
    query = prepare_need(KNOWN_ITEM)
    with_feedback = engine.search("patents", query, 10)
    assert calls == []  # BM25 is sure of its top hit: no second search
    engine.fusion = replace(engine.fusion, lexical_feedback=0.0)
    without = engine.search("patents", query, 10)
    assert [(f.id, f.score) for f in with_feedback] == [(f.id, f.score) for f in without]
    assert with_feedback[0].id == 5
    engine.fusion = replace(engine.fusion, lexical_feedback=0.5)
    engine.search("patents", prepare_need(TOPICAL), 10)
    assert len(calls) == 1  # the guard is the sureness, not a broken channel


def test_default_feedback_settings_are_the_documented_ones():
    config = FusionConfig()
    assert (config.feedback, config.feedback_docs) == (0.5, 3)  # dense Rocchio: on
    # BM25 expansion is built and tested, but off until measured on every task
    assert (config.lexical_feedback, config.feedback_terms, config.feedback_keep) == (0.0, 20,
                                                                                      0.0)


def test_blend_keeps_a_first_hit_that_stands_far_above_the_rest():
    from matchmaker.matching.feedback import blend
    from matchmaker.matching.fusion import Fused, squash

    first = [Fused(1, squash(4.0)), Fused(2, squash(0.5)), Fused(3, squash(0.4))]
    second = [Fused(2, squash(1.0)), Fused(3, squash(0.9)), Fused(4, squash(0.8)),
              Fused(1, squash(0.7))]
    assert [f.id for f in blend(first, second, 0.0)] == [2, 3, 4, 1]  # 0: the second run
    kept = blend(first, second, 0.5)
    assert kept[0].id == 1  # 0.5 * 4.0 + 0.5 * 0.7 beats every other
    assert {f.id for f in kept} == {1, 2, 3, 4}
    assert kept[-1].id == 4  # missing from the first run: its floor (0.4) counts
    assert all(0.0 < f.score < 1.0 for f in kept)
