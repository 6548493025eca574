"""The matching engine with the fake encoder: fusion math, every rule, both directions, explanations."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from matchmaker.extensions import db
from matchmaker.matching.fusion import ChannelRanking, FusionConfig, fuse, gap, normalise, squash
from matchmaker.matching.rules import (
    FLAGS,
    NeedFacts,
    PatentFacts,
    RuleConfig,
    excluded,
    flag_values,
    flags,
    points,
    prefer,
)
from matchmaker.records import (
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Match,
    MatchStatus,
    NeedStatus,
    OrgKind,
)
from matchmaker.services import matching
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent

# -- fusion math -----------------------------------------------------------------------------


def _r(name, ids, scores, kind="primary", weight=1.0):
    return ChannelRanking(name, kind, np.array(ids), np.array(scores, dtype=float), weight)


def test_rrf_sums_reciprocal_ranks():
    config = FusionConfig(method="rrf", rrf_k=60)
    fused = fuse([_r("a", [1, 2, 3], [0.9, 0.8, 0.7]), _r("b", [3, 1], [5.0, 4.0])], config)
    scores = {item.id: item.score for item in fused}
    total = 2.0  # both channels weigh 1
    assert scores[1] == pytest.approx((1 / 61 + 1 / 62) / total)
    assert scores[3] == pytest.approx((1 / 63 + 1 / 61) / total)
    assert scores[2] == pytest.approx((1 / 62) / total)
    assert [item.id for item in fused] == [1, 3, 2]


def test_zsum_uses_z_scores_and_the_floor_for_missing_candidates():
    config = FusionConfig(method="zsum", confidence=0.0, squash=1.0)
    a = _r("a", [1, 2, 3], [3.0, 2.0, 1.0])
    b = _r("b", [2, 4], [10.0, 0.0], kind="lexical")
    fused = {item.id: item for item in fuse([a, b], config)}
    z_a = {1: 1.224745, 2: 0.0, 3: -1.224745}  # (s - mean) / std over the channel's list
    z_b = {2: 1.0, 4: -1.0}
    floor_a, floor_b = min(z_a.values()), min(z_b.values())
    expected = {
        1: (z_a[1] + floor_b) / 2, 2: (z_a[2] + z_b[2]) / 2,
        3: (z_a[3] + floor_b) / 2, 4: (floor_a + z_b[4]) / 2,
    }
    for doc, value in expected.items():
        assert fused[doc].score == pytest.approx(squash(value), abs=1e-5)
    assert fused[4].channels["a"] == {"score": None, "rank": None, "weight": 1.0}
    assert fused[2].channels["b"]["rank"] == 1 and fused[2].channels["b"]["score"] == 10.0


def test_gap_measures_how_sure_a_channel_is_of_its_first_hit():
    assert gap(np.array([10.0, 2.0, 1.0, 0.0])) == pytest.approx(0.8)
    assert gap(np.array([0.50, 0.49, 0.48, 0.40])) == pytest.approx(0.1)
    assert gap(np.array([1.0])) == 0.0
    assert gap(np.array([0.3, 0.3, 0.3])) == 0.0


def test_confidence_lets_a_sure_channel_lead():
    # BM25 is surer of document 7 (top-1 gap 0.66) than the dense channel is of 5 (0.60).
    dense = _r("dense", [5, 7, 8, 9, 6], [0.76, 0.55, 0.51, 0.50, 0.41])
    lexical = _r("bm25", [7, 5, 8, 9, 6], [27.3, 11.4, 6.2, 3.9, 3.2], kind="lexical")
    plain = fuse([dense, lexical], FusionConfig(method="zsum", confidence=0.0))
    sure = fuse([dense, lexical], FusionConfig(method="zsum", confidence=1.0))
    assert plain[0].id == 5 and sure[0].id == 7
    assert sure[0].channels["bm25"]["weight"] == pytest.approx(1 + gap(lexical.scores), abs=1e-4)
    assert sure[0].channels["dense"]["weight"] == pytest.approx(1 + gap(dense.scores), abs=1e-4)


def test_language_weights_and_silent_channels():
    weights = {"zh": {"extra": 0.0, "lexical": 2.0}, "en": {}}
    config = FusionConfig(weights=weights)
    assert config.weight("zh", "sentence-transformers:x", "extra") == 0.0
    assert config.weight("zh", "bm25", "lexical") == 2.0
    assert config.weight("en", "bm25", "lexical") == 1.0
    fused = fuse([_r("a", [1, 2], [0.9, 0.1], weight=0.0), _r("b", [2, 1], [0.9, 0.1])],
                 FusionConfig(confidence=0.0))
    assert [item.id for item in fused] == [2, 1]
    assert "a" not in fused[0].channels
    assert fuse([], FusionConfig()) == []


def test_normalise_minmax_and_flat_lists():
    values, floor = normalise(np.array([4.0, 2.0, 0.0]), "minmax")
    assert values.tolist() == [1.0, 0.5, 0.0] and floor == 0.0
    values, _ = normalise(np.array([1.0, 1.0]), "zsum")
    assert values.tolist() == [0.0, 0.0]
    assert squash(0.0) == 0.5 and 0 < squash(-5) < squash(5) < 1
    assert math.isclose(squash(2.0, 1.0), 1 / (1 + math.exp(-2)))


# -- rules, each on its own -------------------------------------------------------------------


CONFIG = RuleConfig(home_region="包头市")


def _rules(need=None, patent=None):
    """{flag: (value, tie-break points)} of one pair."""
    return {a["rule"]: (a["value"], a["delta"])
            for a in flags(need or NeedFacts(1), patent or PatentFacts(2), CONFIG)}


def test_dead_patents_are_excluded():
    need = NeedFacts(1)
    for status in ("lapsed", "expired"):
        assert excluded(need, PatentFacts(2, legal_status=status), set(), direction="need")
    for status in ("valid", "pending"):
        assert excluded(need, PatentFacts(2, legal_status=status), set(), direction="need") is None


def test_rejected_pair_is_excluded():
    assert excluded(NeedFacts(1), PatentFacts(2), {(1, 2)}, direction="need") == "rejected_before"
    assert excluded(NeedFacts(1), PatentFacts(3), {(1, 2)}, direction="need") is None


def test_only_open_needs_for_a_patent():
    closed = NeedFacts(1, status="closed")
    assert excluded(closed, PatentFacts(2), set(), direction="patent") == "need_closed"
    matched = NeedFacts(1, status="matched")
    assert excluded(matched, PatentFacts(2), set(), direction="patent") == "need_not_open"
    assert excluded(NeedFacts(1), PatentFacts(2), set(), direction="patent") is None


def test_closed_needs_and_withdrawn_records_are_excluded_in_both_directions():
    for direction in ("need", "patent"):
        assert excluded(NeedFacts(1, status="closed"), PatentFacts(2), set(),
                        direction=direction) == "need_closed"
        assert excluded(NeedFacts(1), PatentFacts(2, blocked=True), set(),
                        direction=direction) == "patent_withdrawn"
        assert excluded(NeedFacts(1, blocked=True), PatentFacts(2), set(),
                        direction=direction) == "need_withdrawn"


def test_region_flag():
    same = _rules(NeedFacts(1, region_league="赤峰市"), PatentFacts(2, region_league="赤峰市"))
    assert same["region"] == (True, CONFIG.same_region)
    home = _rules(NeedFacts(1, region_league="赤峰市"), PatentFacts(2, region_league="包头市"))
    assert home["region"] == (True, CONFIG.home_bonus)
    inner = _rules(NeedFacts(1, region_league="赤峰市"), PatentFacts(2, region_league="乌海市"))
    assert inner["region"] == (True, CONFIG.inner_mongolia)
    assert _rules(NeedFacts(1), PatentFacts(2, region_league="北京市"))["region"] == (False, 0.0)
    assert _rules(NeedFacts(1), PatentFacts(2))["region"] == (None, 0.0)


def test_open_licence_flag():
    assert _rules(patent=PatentFacts(2, licensing_modes=("open",)))["open_licence"] == (
        True, CONFIG.open_licence)
    assert _rules(patent=PatentFacts(2, licensing_modes=("ordinary",)))["open_licence"] == (
        False, 0.0)


def test_budget_flag():
    need = NeedFacts(1, budget_min=10, budget_max=50)
    assert _rules(need, PatentFacts(2, asking_price=40))["budget"] == (True, CONFIG.within_budget)
    assert _rules(need, PatentFacts(2, asking_price=80))["budget"] == (False, 0.0)  # above
    assert _rules(need, PatentFacts(2, asking_price=101))["budget"] == (False, CONFIG.over_budget)
    assert _rules(NeedFacts(1), PatentFacts(2, asking_price=101))["budget"] == (None, 0.0)
    assert _rules(need, PatentFacts(2))["budget"] == (None, 0.0)  # 面议: unknown, no malus


def test_cooperation_mode_flag():
    licence = NeedFacts(1, cooperation_mode="licence")
    assert _rules(licence, PatentFacts(2, licensing_modes=("ordinary",)))["mode"] == (
        True, CONFIG.mode_compatible)
    transfer = NeedFacts(1, cooperation_mode="transfer")
    assert _rules(transfer, PatentFacts(2, licensing_modes=("ordinary",)))["mode"] == (False, 0.0)
    assert _rules(transfer, PatentFacts(2, licensing_modes=("transfer",)))["mode"][0] is True
    joint = NeedFacts(1, cooperation_mode="joint_development")
    assert _rules(joint, PatentFacts(2, licensing_modes=("transfer",)))["mode"] == (None, 0.0)


def test_every_pair_has_all_four_flags_labelled():
    entries = flags(NeedFacts(1, region_league="包头市", budget_max=100,
                              cooperation_mode="licence"),
                    PatentFacts(2, region_league="包头市", asking_price=20,
                                licensing_modes=("open",)), CONFIG)
    assert [e["rule"] for e in entries] == list(FLAGS)
    assert all(set(e) == {"rule", "value", "label", "delta"} and e["label"] for e in entries)
    assert flag_values(entries) == dict.fromkeys(FLAGS, True)
    assert points(entries) == pytest.approx(0.09)


# -- the tie-break bound ----------------------------------------------------------------------


def test_preferences_reorder_a_near_tie_only():
    # b is 0.01 less relevant but preferred: within the margin it goes first; c is 0.05 less
    # relevant with every preference: never above a.
    items = [(1, 0.90, 0.0), (2, 0.89, 0.05), (3, 0.85, 0.09)]
    assert prefer(items, 0.02) == [2, 1, 3]
    assert prefer(items, 0.0) == [1, 2, 3]


def test_a_clearly_more_relevant_candidate_is_never_passed():
    """Property: for random lists, relevance gap >= margin => the more relevant comes first."""
    rng = random.Random(9)
    for _ in range(300):
        margin = rng.choice([0.0, 0.005, 0.02, 0.05, 0.2])
        n = rng.randint(1, 25)
        items = [(i, round(rng.uniform(0, 1.1), 3), round(rng.uniform(-0.03, 0.09), 3))
                 for i in range(n)]
        relevance = {i: r for i, r, _ in items}
        order = prefer(items, margin)
        assert sorted(order) == list(range(n))  # a permutation: nothing lost, nothing doubled
        position = {i: p for p, i in enumerate(order)}
        for a in relevance:
            for b in relevance:
                if relevance[a] - relevance[b] >= margin and relevance[a] != relevance[b]:
                    assert position[a] < position[b], (items, margin, order)


# -- the engine through the service, fake encoder ---------------------------------------------


MAGNET = ("一种烧结钕铁硼磁体的晶界扩散方法",
          "本发明公开了一种烧结钕铁硼磁体的晶界扩散方法。在磁体表面涂覆镝粉后热处理，"
          "显著提高矫顽力并减少重稀土用量。")
BLADE = ("一种风电叶片除冰装置", "本实用新型涉及风电叶片除冰。叶片内置电加热膜，防止结冰。")
POLISH = ("一种铈基稀土抛光粉的制备方法", "本发明公开了一种铈基抛光粉，粒度分布均匀，用于玻璃抛光。")


@pytest.fixture
def world(db_app):
    """Three patents, two needs, indexes built."""
    uni = f.org(OrgKind.UNIVERSITY, region_league="包头市")
    far = f.org(OrgKind.UNIVERSITY, region_league="北京市")
    patents = {
        "magnet": f.patent(*MAGNET, owner=uni,
                           claims="1. 一种晶界扩散方法，其特征在于，涂覆镝粉并在900℃热处理。"
                                  "2. 根据权利要求1所述的方法。"),
        "blade": f.patent(*BLADE, owner=far),
        "polish": f.patent(*POLISH, owner=far),
    }
    needs = {
        "magnet": f.need("烧结钕铁硼磁体矫顽力提升", "希望采用晶界扩散技术减少重稀土镝的用量，"
                         "提高钕铁硼磁体矫顽力。", keywords=["钕铁硼", "晶界扩散"],
                         region_league="包头市"),
        "blade": f.need("风电叶片冬季结冰问题", "风电场叶片结冰导致停机，需要叶片除冰技术。",
                        keywords=["风电叶片", "除冰"]),
    }
    db.session.commit()
    matching.rebuild_indexes()
    return patents, needs


def test_need_to_patents_ranks_the_right_patent_first(world):
    patents, needs = world
    found = matching.match_need(needs["magnet"], 3)
    assert found[0].patent_id == patents["magnet"].id
    assert [c.rank for c in found] == list(range(1, len(found) + 1))
    assert all(c.need_id == needs["magnet"].id for c in found)
    margin = RuleConfig().margin  # preferences may reorder near-ties only
    assert all(a.score > b.score - margin for a, b in zip(found, found[1:], strict=False))
    json.dumps([c.__dict__ for c in found])  # plain JSON types only, storable as is


def test_patent_to_needs_direction(world):
    patents, needs = world
    found = matching.match_patent(patents["blade"], 5)
    assert found[0].need_id == needs["blade"].id
    assert all(c.patent_id == patents["blade"].id for c in found)


def test_closed_needs_are_not_proposed_for_a_patent(world):
    patents, needs = world
    needs["blade"].status = NeedStatus.CLOSED
    db.session.commit()
    assert needs["blade"].id not in [c.need_id for c in matching.match_patent(patents["blade"])]


def test_lapsed_patent_is_excluded_even_before_the_index_is_synced(world):
    patents, needs = world
    patents["magnet"].legal_status = LegalStatus.LAPSED
    db.session.commit()  # no sync: the rule, not the index, must keep it out
    assert patents["magnet"].id not in [c.patent_id for c in matching.match_need(needs["magnet"])]


def test_rejected_pair_never_comes_back(world):
    patents, needs = world
    db.session.add(Match(need=needs["magnet"], patent=patents["magnet"],
                         status=MatchStatus.REJECTED))
    db.session.commit()
    found = matching.match_need(needs["magnet"])
    assert patents["magnet"].id not in [c.patent_id for c in found]
    assert needs["magnet"].id not in [c.need_id for c in matching.match_patent(patents["magnet"])]


def test_preference_flags_show_but_leave_the_score_alone(world):
    patents, needs = world
    patents["magnet"].licensing_modes = [LicenceMode.OPEN]
    needs["magnet"].cooperation_mode = CooperationMode.LICENCE
    db.session.commit()
    top = matching.match_need(needs["magnet"], 1)[0]
    assert flag_values(top.explanation["flags"]) == {
        "region": True, "open_licence": True, "budget": None, "mode": True}
    assert top.score == pytest.approx(top.explanation["fused"], abs=1e-6)


def test_shared_terms_are_words_both_records_write_not_their_field_or_ipc(world):
    """QA, stop 35: an English polishing-slurry patent "shared" 抛光粉 and 稀土 with a Chinese
    need: both sat only in the patent's Chinese technical field and IPC description, which the
    keyword channel indexes but the broker never reads as the patent's text."""
    patents, needs = world
    slurry = f.patent("Cerium oxide polishing slurry for glass substrates",
                      "A cerium oxide polishing slurry with a narrow particle size distribution "
                      "is disclosed for display glass.", number="US11900106B2",
                      ipc=["C09G 1/02"], technical_field="稀土抛光粉")
    need = f.need("提高铈基抛光粉切削速率", "稀土抛光粉用于玻璃基板，希望提高切削速率、降低划伤。",
                  keywords=["抛光粉", "glass"], technical_field="稀土抛光粉")
    db.session.commit()
    matching.rebuild_indexes()
    found = {c.patent_id: c for c in matching.match_need(need, 10)}
    assert slurry.id in found
    terms = found[slurry.id].explanation["shared_terms"]
    assert not {"抛光粉", "稀土", "稀土抛光粉"} & set(terms), terms
    assert terms == ["glass"]  # the one word both write
    chinese = found[patents["polish"].id].explanation["shared_terms"]
    assert any("抛光粉" in t for t in chinese)  # a Chinese patent that writes it shares it


def test_explanation_structure_and_content(world):
    patents, needs = world
    top = matching.match_need(needs["magnet"], 1)[0]
    exp = top.explanation
    assert set(exp) >= {"fused", "channels", "rules", "shared_terms", "closest_sentences",
                        "language"}
    assert set(exp["channels"]) == {"fake", "bm25"} and exp["channels"] == top.channel_scores
    assert exp["channels"]["bm25"]["rank"] == 1 and exp["channels"]["bm25"]["score"] > 0
    assert exp["language"] == {"need": "zh", "patent": "zh"}
    terms = exp["shared_terms"]
    assert "晶界扩散" in terms and "矫顽力" in terms
    need_text = needs["magnet"].title + needs["magnet"].description
    patent_text = MAGNET[0] + MAGNET[1]
    assert all(t in need_text and t in patent_text for t in terms)
    assert not {"本发明", "一种", "所述", "方法"} & set(terms)
    sentences = exp["closest_sentences"]
    assert 1 <= len(sentences) <= 3
    sources = {"abstract": patents["magnet"].abstract, "claims": patents["magnet"].claims}
    for s in sentences:
        assert s["source"] in sources
        assert s["text"].rstrip("。") in sources[s["source"]]
    assert sentences == sorted(sentences, key=lambda s: -s["score"])


def test_pair_sentences_rank_every_sentence_of_the_patent(world):
    """The pair page's view: all abstract and first-claim sentences ranked, not one picked."""
    patents, needs = world
    magnet = patents["magnet"]
    magnet.abstract = ("本发明涉及一种建筑外墙涂料施工工艺。"
                       "该方法通过晶界扩散提高烧结钕铁硼磁体的矫顽力。"
                       "所用设备结构简单，便于维护。"
                       "减少了重稀土镝的用量。")
    db.session.commit()
    stored = matching.match_need(needs["magnet"], 1)[0].explanation["closest_sentences"]
    deep = matching.pair_sentences(needs["magnet"], magnet)
    assert len(stored) == 1 and len(deep) == 3  # MAX_SENTENCES
    assert deep == sorted(deep, key=lambda s: -s["score"])
    assert deep[0]["text"] == "该方法通过晶界扩散提高烧结钕铁硼磁体的矫顽力。"
    sources = {"abstract": magnet.abstract, "claims": magnet.claims}
    assert all(s["text"].rstrip("。") in sources[s["source"]] for s in deep)
    assert len({s["text"] for s in deep}) == 3  # one window per sentence
    # the unrelated sentence ranks below the related ones
    assert "本发明涉及一种建筑外墙涂料施工工艺。" not in [s["text"] for s in deep[:2]]
    # a patent without text has nothing to show
    magnet.abstract, magnet.claims = "", None
    assert matching.pair_sentences(needs["magnet"], magnet) == []


def test_warm_up_loads_models_and_every_index_before_the_first_request(world, db_app,
                                                                       monkeypatch):
    from matchmaker.text import segment

    db_app.extensions.pop(matching.EXTENSION, None)  # a fresh worker: nothing loaded yet
    monkeypatch.setattr(segment, "_tokenizer", None)  # nor jieba's dictionary (~1 s to load)
    assert matching.warm_up() is True
    assert segment._tokenizer is not None  # the first keyword search does not load it
    eng = matching.engine()
    stores = [c.stores[side] for c in eng.channels() for side in ("patents", "needs")]
    assert stores and all(store.loaded for store in stores)
    assert all(c.encoder.encode(["x"]).shape == (1, c.encoder.dim) for c in eng.dense)


def test_warm_up_failure_is_logged_and_the_engine_loads_on_first_use(world, db_app,
                                                                     monkeypatch, caplog):
    patents, needs = world
    db_app.extensions.pop(matching.EXTENSION, None)
    real = matching.build_service

    def broken(config):
        raise OSError("model file unreadable")

    monkeypatch.setattr(matching, "build_service", broken)
    assert matching.warm_up() is False
    assert "warm-up failed" in caplog.text
    monkeypatch.setattr(matching, "build_service", real)
    assert matching.match_need(needs["magnet"], 1)[0].patent_id == patents["magnet"].id


def test_gunicorn_config_warms_each_worker(world, db_app, caplog, monkeypatch):
    import logging
    import runpy
    from types import SimpleNamespace

    frozen = []  # the hook then freezes the heap; not this test process's
    monkeypatch.setattr(matching.gc, "freeze", lambda: frozen.append(
        db_app.extensions[matching.EXTENSION][1].engine.lexical.stores["patents"].loaded))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    db_app.extensions.pop(matching.EXTENSION, None)
    with caplog.at_level(logging.INFO, logger="gunicorn.test"):
        conf["post_worker_init"](SimpleNamespace(wsgi=db_app, log=logging.getLogger("gunicorn.test")))
    assert db_app.extensions[matching.EXTENSION][1].engine.lexical.stores["patents"].loaded
    assert "matching engine warmed up" in caplog.text
    assert frozen == [True]  # once, after the indexes were loaded
    env, compiled = db_app.jinja_env, []  # and the worker's first pages compile no template
    real = env.compile
    monkeypatch.setattr(env, "compile", lambda *a, **kw: compiled.append(a) or real(*a, **kw))
    for name in ("base.html", "queue/index.html", "needs/matches.html"):
        env.get_template(name)
    assert compiled == []


def test_gunicorn_reads_the_config_and_warms_its_worker(tmp_path):
    """A real gunicorn from the repository root: the hook runs in the worker, pages are served."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
           "MATCHMAKER_INSTANCE_PATH": str(tmp_path), "MATCHMAKER_INDEX_DIR": str(tmp_path / "ix"),
           "MATCHMAKER_ENCODER": "fake", "MATCHMAKER_EXTRA_ENCODERS": "",
           "MATCHMAKER_SECRET_KEY": "gunicorn-test-secret"}
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "w") as out:
        proc = subprocess.Popen([str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                 "wsgi:app"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "matching engine" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        assert "matching engine warmed up" in log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=10) as page:
            assert page.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_free_text_search(world):
    patents, needs = world
    hits = matching.search_patents("抛光粉 粒度")
    assert hits[0][0] == patents["polish"].id
    assert matching.search_needs("叶片 除冰")[0][0] == needs["blade"].id
    assert matching.search_patents("   ") == []


# -- BM25 -----------------------------------------------------------------------------------


def test_bm25_scores_follow_the_okapi_formula():
    from matchmaker.indexing.sparse.bm25 import BM25Index

    index = BM25Index(k1=1.2, b=0.75)
    index.add([10, 20, 30], ["magnet magnet coating", "blade heater", "magnet blade"])
    ids, scores = index.search("magnet", 5)
    n, df, avgdl = 3, 2, (3 + 2 + 2) / 3
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))

    def w(tf, dl):
        return idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))

    assert ids.tolist() == [10, 30]
    assert scores.tolist() == pytest.approx([w(2, 3), w(1, 2)], rel=1e-5)
    assert index.search("unknown words", 5)[0].size == 0


def test_bm25_coverage_of_the_top_hit():
    from matchmaker.indexing.sparse.bm25 import BM25Index

    index = BM25Index()
    index.add([1, 2, 3], ["magnet coating dysprosium", "blade heater", "wind blade ice"])
    assert index.search_with_coverage("magnet dysprosium", 3)[2] == pytest.approx(1.0)
    # terms no document has carry no information and are ignored
    assert index.search_with_coverage("blade heater gearbox", 3)[2] == pytest.approx(1.0)
    assert 0.0 < index.search_with_coverage("ice magnet", 3)[2] < 1.0


def test_bm25_upsert_remove_save_and_load(tmp_path):
    from matchmaker.indexing.sparse.bm25 import BM25Index

    index = BM25Index()
    index.add([1, 2], ["晶界扩散提高矫顽力", "风电叶片除冰"])
    index.add([2], ["稀土抛光粉"])  # upsert replaces the old text
    assert index.search("除冰", 5)[0].size == 0 and index.search("抛光粉", 5)[0].tolist() == [2]
    index.add([3], ["钕铁硼晶界扩散"])
    assert index.remove([1, 99]) == 1
    index.save(tmp_path)
    for mmap in (False, True):
        loaded = BM25Index.load(tmp_path, mmap=mmap)
        assert sorted(loaded.ids().tolist()) == [2, 3]
        for query in ("晶界扩散", "抛光粉"):
            assert loaded.search(query, 5)[0].tolist() == index.search(query, 5)[0].tolist()
            assert loaded.search(query, 5)[1] == pytest.approx(index.search(query, 5)[1])
    assert isinstance(loaded._ids, np.memmap)  # mapped: the workers share the page cache
    loaded.add([4], ["稀土抛光粉"])  # a loaded index thaws before it changes
    assert sorted(loaded.search("抛光粉", 5)[0].tolist()) == [2, 4]
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_bm25_load_refuses_missing_files(tmp_path):
    from matchmaker.indexing.sparse.bm25 import BM25Index

    index = BM25Index()
    index.add([1], ["钕铁硼"])
    index.save(tmp_path)
    (tmp_path / "w_data.npy").unlink()
    with pytest.raises(ValueError, match="unreadable"):
        BM25Index.load(tmp_path)


# -- pseudo-relevance feedback --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_vectors_of_reads_both_faiss_backends(kind):
    from matchmaker.indexing import build_index

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(20, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_index(16, 20, exact_limit=100, kind=kind)
    index.add(np.arange(100, 120, dtype=np.int64), vectors)
    index.remove([105])
    got = index.vectors_of([103, 105, 110])  # 105 is gone
    assert got.shape == (2, 16)
    assert np.allclose(got, vectors[[3, 10]], atol=1e-6)
    # a replaced id gives its new vector, in the order asked, after a lookup was cached
    index.add(np.array([110], np.int64), vectors[[0]])
    index.remove([119])
    got = index.vectors_of([110, 999, 101, 119, 103])
    assert np.allclose(got, vectors[[0, 1, 3]], atol=1e-6)
    assert index.vectors_of([]).shape == (0, 16)


def test_feedback_reruns_dense_channels_unless_lexical_is_sure(world):
    from dataclasses import replace

    from matchmaker.text import prepare_need

    engine = matching.engine()
    query = prepare_need("抛光粉 叶片 镝 结冰 热处理")  # top hit covers 31 %: BM25 not sure
    calls = []
    channel = engine.primary
    original = channel.search

    def counting(side, vector, n):
        calls.append(side)
        return original(side, vector, n)

    channel.search = counting
    try:
        engine.retrieve("patents", query)
        assert len(calls) == 2  # first pass + feedback pass
        calls.clear()
        engine.fusion = replace(engine.fusion, feedback=0.0)
        engine.retrieve("patents", query)
        assert len(calls) == 1
        calls.clear()
        engine.fusion = replace(engine.fusion, feedback=0.5, sure_threshold=0.0)
        engine.retrieve("patents", query)  # any coverage counts as sure: no feedback
        assert len(calls) == 1
    finally:
        channel.search = original


# -- real bundled models (marked: slower, offline) -------------------------------------------


@pytest.mark.real_models
def test_real_encoders_rank_and_apply_minilm_to_english_only(app_factory):
    app = app_factory({"ENCODER": "use-multilingual",
                       "EXTRA_ENCODERS": "sentence-transformers:all-MiniLM-L6-v2",
                       "ENCODER_THREADS": 1})
    with app.app_context():
        magnet = f.patent(*MAGNET)
        blade = f.patent("Wind turbine blade de-icing system",
                         "Heating films embedded in wind turbine blades melt ice in winter.")
        f.patent(*POLISH)
        need_zh = f.need("永磁体矫顽力低", "我们生产的磁体高温下矫顽力不足，希望找到降低重稀土用量的工艺。",
                         keywords=["磁体"])
        need_en = f.need("Ice on turbine blades", "Our wind farm loses output when blades freeze.",
                         keywords=["icing"])
        db.session.commit()
        matching.rebuild_indexes()
        top_zh = matching.match_need(need_zh, 2)[0]
        assert top_zh.patent_id == magnet.id
        minilm = "sentence-transformers:all-MiniLM-L6-v2"
        assert top_zh.channel_scores[minilm]["weight"] == 0.0  # English-only: not for Chinese
        assert top_zh.explanation["closest_sentences"][0]["score"] > 0.2
        top_en = matching.match_need(need_en, 2)[0]
        assert top_en.patent_id == blade.id
        assert top_en.channel_scores[minilm]["rank"] == 1
        # the English channel indexed only the English patent
        assert len(matching.engine().dense[1].stores["patents"].get()) == 1


def test_pair_sentences_use_the_indexed_need_vector(world, monkeypatch):
    """The pair page reads the need's indexed vector (the one its candidates were ranked with)
    instead of encoding the whole need again; only the patent's windows are encoded."""
    patents, needs = world
    need, magnet = needs["magnet"], patents["magnet"]
    expected = matching.pair_sentences(need, magnet)
    eng = matching.engine()
    encoded: list[list[str]] = []
    real = eng.primary.encoder.encode

    def spy(texts, *args, **kwargs):
        encoded.append(list(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(eng.primary.encoder, "encode", spy)
    matching.service().sentences._vectors.clear()  # the windows must be encoded again
    again = matching.pair_sentences(need, magnet)
    assert [s["text"] for s in again] == [s["text"] for s in expected]
    patent_text = "".join([magnet.title or "", magnet.abstract or "", magnet.claims or ""])
    texts = [t for batch in encoded for t in batch]
    assert texts and all(t in patent_text for t in texts)  # patent windows only, no need text
