"""Channels weighed by the (query language, document language) pair: an English need finds a
Chinese patent, and the two languages compete on one scale."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.encoders.fake import FakeEncoder
from matchmaker.indexing import dense_store, sparse_store
from matchmaker.matching.channels import DenseChannel, LexicalChannel
from matchmaker.matching.engine import Engine
from matchmaker.matching.fusion import DEFAULT_WEIGHTS, ChannelRanking, FusionConfig, fuse
from matchmaker.text import prepare_need, prepare_patent

# -- the weight table -------------------------------------------------------------------------


def test_pair_weight_table():
    config = FusionConfig()
    minilm = "sentence-transformers:all-MiniLM-L6-v2"
    # same language: the per-language table, unchanged
    assert config.weight("en", minilm, "extra", "en") == DEFAULT_WEIGHTS["en"]["extra"] == 2.5
    assert config.weight("zh", "bm25", "lexical") == DEFAULT_WEIGHTS["zh"]["lexical"]
    # across languages: only the multilingual channel sees the pair
    for query, doc in (("en", "zh"), ("zh", "en")):
        assert config.weight(query, "bm25", "lexical", doc) == 0.0
        assert config.weight(query, minilm, "extra", doc) == 0.0
        assert config.weight(query, "use-multilingual", "primary", doc) > 0
    # a pair missing from a custom table falls back to the multilingual channel only
    custom = FusionConfig(weights={"en": {"lexical": 3.0}})
    assert custom.weight("en", "bm25", "lexical", "zh") == 0.0
    assert custom.weight("en", "x", "primary", "zh") == 1.0


def _r(name, kind, ids, scores, weight, pair_weights=None):
    return ChannelRanking(name, kind, np.array(ids), np.array(scores, float), weight,
                          pair_weights=pair_weights)


def _english_query_rankings():
    # doc 1 is Chinese (seen by USE only), docs 2-4 English
    use = _r("use", "primary", [1, 2, 3, 4], [0.9, 0.5, 0.45, 0.4], 0.25, {"zh": 1.0})
    minilm = _r("minilm", "extra", [2, 3, 4], [0.6, 0.5, 0.2], 2.5, {"zh": 0.0})
    bm25 = _r("bm25", "lexical", [2, 4], [5.0, 1.0], 1.0, {"zh": 0.0})
    return [use, minilm, bm25]


def test_a_document_in_the_other_language_is_not_held_down_by_blind_channels():
    config = FusionConfig(confidence=0.0, cross_shift={})
    blind = fuse(_english_query_rankings(), config)  # languages unknown: all same-language
    assert [f.id for f in blind].index(1) >= 2  # held down by the floors of two channels
    fused = fuse(_english_query_rankings(), config, languages={1: "zh", 2: "en", 3: "en",
                                                               4: "en"}, query_language="en")
    assert fused[0].id == 1  # USE's clear first hit
    top = fused[0]
    assert top.channels["bm25"]["weight"] == 0.0 and top.channels["minilm"]["weight"] == 0.0
    assert top.channels["use"]["weight"] == 1.0
    # English documents keep the same-language weights and values as without pairs
    by_id = {f.id: f.score for f in blind}
    for item in fused[1:]:
        assert item.score == pytest.approx(by_id[item.id])


def test_cross_shift_moves_only_other_language_documents():
    languages = {1: "zh", 2: "en", 3: "en", 4: "en"}
    plain = {f.id: f.score for f in fuse(_english_query_rankings(), FusionConfig(cross_shift={}),
                                         languages=languages, query_language="en")}
    shifted = {f.id: f.score for f in fuse(_english_query_rankings(),
                                           FusionConfig(cross_shift={"en>zh": -1.0}),
                                           languages=languages, query_language="en")}
    assert shifted[1] < plain[1]
    assert all(shifted[d] == plain[d] for d in (2, 3, 4))


# -- an engine with a cross-lingual, an English-only and the BM25 channel -----------------------

GLOSSARY = {"风电": "wind turbine", "叶片": "blade", "退役": "decommissioned", "回收": "recycling",
            "热解": "pyrolysis", "玻璃纤维": "glass fibre", "抛光": "polishing", "除冰": "icing"}


class CrossLingual(FakeEncoder):
    """Chinese and English in one space: glossary terms are hashed as their English words."""

    name = "fake-xl"

    def _encode(self, texts, batch_size, progress):
        out = []
        for text in texts:
            for zh, en in GLOSSARY.items():
                text = text.replace(zh, f" {en} ")
            out.append(text)
        return super()._encode(out, batch_size, progress)


class EnglishOnly(FakeEncoder):
    name = "fake-en"
    languages = frozenset({"en"})


PATENTS = {
    1: ("一种退役风电叶片热解回收玻璃纤维的方法",
        "将退役风电叶片破碎后热解，回收玻璃纤维，用于再制造。"),
    2: ("Recycling of ceria polishing slurry",
        "Spent polishing slurry is recycled; ceria is recovered for reuse, recycling waste."),
    3: ("Wind turbine blade de-icing heater",
        "Heating films in wind turbine blades melt ice; the blade keeps turning."),
    4: ("Method for preparing a catalyst", "A nickel catalyst is prepared by impregnation."),
}


def _engine(tmp_path, fusion: FusionConfig | None = None, **kwargs) -> Engine:
    dense = [DenseChannel(encoder, {"patents": dense_store(tmp_path, "patents", encoder)})
             for encoder in (CrossLingual(), EnglishOnly())]
    lexical = LexicalChannel({"patents": sparse_store(tmp_path, "patents")})
    engine = Engine(dense, lexical, fusion=fusion or FusionConfig(feedback=0.0), **kwargs)
    prepared = [prepare_patent(*PATENTS[i]) for i in PATENTS]
    engine.upsert("patents", list(PATENTS), prepared)
    return engine


NEED = prepare_need("Recycling of decommissioned wind turbine blades",
                    "We look for glass fibre recycling from wind turbine blades, e.g. pyrolysis.")


def test_an_english_need_finds_the_chinese_patent(tmp_path):
    engine = _engine(tmp_path)
    assert NEED.language == "en"
    assert engine.channels()[1].holds("patents", [1, 2, 3]).tolist() == [False, True, True]
    assert engine.languages("patents", [1, 3]) == {1: "zh", 3: "en"}
    top = engine.search("patents", NEED, 4)
    assert top[0].id == 1
    assert top[0].channels["bm25"]["weight"] == 0.0
    assert top[0].channels["fake-en"]["weight"] == 0.0


def test_without_document_languages_the_chinese_patent_loses(tmp_path):
    """The same engine told nothing about languages: the blind channels' floors sink it."""
    engine = _engine(tmp_path / "blind", languages=lambda side, ids: {})
    ranked = [f.id for f in engine.search("patents", NEED, 4)]
    assert ranked[0] != 1


def test_a_chinese_need_finds_an_english_patent_and_the_shift_is_per_pair(tmp_path):
    need = prepare_need("风电叶片除冰", "风电场叶片冬季结冰，需要叶片除冰技术。")
    assert need.language == "zh"
    unshifted = _engine(tmp_path / "a", FusionConfig(feedback=0.0, cross_shift={}))
    top = unshifted.search("patents", need, 4)
    assert top[0].id == 3  # the English de-icing patent, through the cross-lingual channel
    assert top[0].channels["bm25"]["weight"] == 0.0
    # the measured default holds English documents back for Chinese queries (zh>en), not
    # Chinese documents for English ones (en>zh)
    assert FusionConfig().cross_shift["zh>en"] < 0 < FusionConfig().cross_shift["en>zh"]
    shifted = _engine(tmp_path / "b", FusionConfig(feedback=0.0))
    ranked = [f.id for f in shifted.search("patents", need, 4)]
    assert ranked.index(3) > 0
    assert shifted.search("patents", NEED, 4)[0].id == 1


# -- patent -> needs: BM25 sureness measured on the short side ---------------------------------

NEEDS = ["magnet coercivity", "blade icing", "catalyst nickel", "rare earth recycling plant waste",
         "furnace", "powder press"]
LONG = ("a sintered magnet whose coercivity rises after diffusion of terbium, with a low "
        "heavy rare earth content")


def test_doc_coverage_for_long_queries_against_short_documents(tmp_path):
    from matchmaker.indexing.sparse.bm25 import BM25Index
    from matchmaker.indexing.sparse.overlay import SparseView

    index = BM25Index()
    index.add(list(range(1, len(NEEDS) + 1)), NEEDS)
    ids, _, of_query = index.search_with_coverage(LONG, 3)
    _, _, of_doc = index.search_with_coverage(LONG, 3, of="doc")
    assert ids[0] == 1
    assert of_query <= 0.5 and of_doc == pytest.approx(1.0)  # the need is fully covered
    assert index.search_with_coverage("magnet blade", 3, of="doc")[2] < 1.0
    index.save(tmp_path)  # a loaded (frozen, memory-mapped) index reads its tf arrays
    loaded = BM25Index.load(tmp_path, mmap=True)
    assert loaded.search_with_coverage(LONG, 3, of="doc")[2] == pytest.approx(1.0)
    view = SparseView(loaded)  # a document only in the delta log
    view.apply(1, 4, view.pack("terbium diffusion magnet"))
    ids, _, cov = view.search_with_coverage("terbium diffusion magnet sintered grains", 3,
                                            of="doc")
    assert ids[0] == 4 and cov == pytest.approx(1.0)


def test_the_engine_measures_needs_coverage_on_the_need(tmp_path):
    calls = []

    class Lexical(LexicalChannel):
        def search(self, side, text, n, *, of="query"):
            calls.append((side, of))
            return super().search(side, text, n, of=of)

    stores = {s: sparse_store(tmp_path, s) for s in ("patents", "needs")}
    engine = Engine([], Lexical(stores), fusion=FusionConfig(feedback=0.0))
    engine.upsert("needs", list(range(1, len(NEEDS) + 1)), [prepare_need(t) for t in NEEDS])
    engine.upsert("patents", [7], [prepare_patent("Magnet", LONG)])
    assert engine.search("needs", prepare_patent("Magnet", LONG), 3)[0].id == 1
    engine.search("patents", prepare_need("magnet coercivity"), 3)
    assert calls == [("needs", "doc"), ("patents", "query")]
