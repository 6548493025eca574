"""The quality page (质量看板): its figures on fixture data, and who may see it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.learning import quality
from matchmaker.records import MatchHistory, MatchStatus, RejectionReason, Role
from tests import factories as f
from tests.pairs import client_as, pair

S = MatchStatus
T0 = datetime(2026, 3, 2, 9, 0)  # a Monday


def _moved(match, *steps, reason=None, actor=True):
    """Record the pair's moves: (status, days after it was proposed), by a person (a user of
    the pair's, else a new broker) unless ``actor`` is None (the platform's own moves)."""
    match.created_at = T0
    match.history.append(MatchHistory(from_status=None, to_status=S.CANDIDATE, at=T0))
    if actor is True:
        actor = match.broker or f.user(Role.BROKER)
    previous = S.CANDIDATE
    for status, days in steps:
        at = T0 + timedelta(days=days)
        match.history.append(MatchHistory(from_status=previous, to_status=status, at=at,
                                          actor_id=actor.id if actor else None))
        match.status, match.status_changed_at, previous = status, at, status
    match.rejection_reason = reason


@pytest.fixture
def data(db_app, tmp_path):
    broker = f.user(Role.BROKER, username="broker1", display_name="王经纪")
    f.user(Role.ADMIN, username="admin1")
    f.user(Role.ENTERPRISE, username="ent1")
    f.user(Role.UNIVERSITY, username="uni1")
    materials = f.need("稀土需求", technical_field="新材料")
    energy = f.need("环保需求", technical_field="节能环保")
    signed = pair(need=materials, score=0.95, broker=broker, calibrated=80)
    _moved(signed, (S.RECOMMENDED, 1), (S.SIGNED, 10))
    recommended = pair(need=materials, score=0.85, broker=broker, model_version="v1",
                       calibrated=60)
    _moved(recommended, (S.RECOMMENDED, 3))
    not_relevant = pair(need=energy, score=0.75, calibrated=30)
    _moved(not_relevant, (S.REJECTED, 7), reason=RejectionReason.NOT_RELEVANT)
    price = pair(need=energy, score=0.72, calibrated=25)  # failed on price: still accepted
    _moved(price, (S.RECOMMENDED, 2), (S.NEGOTIATING, 8), (S.REJECTED, 9),
           reason=RejectionReason.PRICE_TERMS)
    pair(need=energy, score=0.5)  # still waiting: not decided
    db.session.commit()
    folder = tmp_path / "evaluations"
    folder.mkdir()
    (folder / "zh_csl_discipline.json").write_text(json.dumps({
        "task": "zh_csl_discipline", "mode": "hybrid", "channels": ["use-multilingual", "bm25"],
        "ndcg@10": 0.2621, "mrr@10": 0.5, "recall@100": 0.3, "queries": 1000,
        "ms_per_query": 12.5}), encoding="utf-8")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    db_app.config["EVALUATION_DIR"] = str(folder)
    return db_app


def test_figures(data):
    q = quality.overview(data.config["EVALUATION_DIR"])
    assert [e["task"] for e in q.evaluations] == ["zh_csl_discipline"]
    # the bands brokers see everywhere: 高 / 中 / 低 of the calibrated score
    bands = {r.name: (r.accepted, r.decided) for r in q.by_band}
    assert bands == {"高": (2, 2), "中": (1, 2)}
    assert {r.name: (r.accepted, r.decided) for r in q.by_field} == {
        "新材料": (2, 2), "节能环保": (1, 2)}
    assert {r.name: (r.accepted, r.decided) for r in q.by_broker} == {"王经纪": (2, 2), "": (1, 2)}
    assert sum(r.decided for r in q.by_week) == 4
    assert sorted(q.reasons) == ["not_relevant", "price_terms"]
    assert sum(sum(c.values()) for _, c in q.reasons_by_week) == 2
    # first actions after 1, 3, 7 and 2 days
    assert q.first_action_days["pairs"] == 4 and q.first_action_days["median"] == pytest.approx(2.5)
    conversion = {r.name: (r.accepted, r.decided) for r in q.conversion}
    assert conversion["高"] == (1, 2) and conversion["未校准"] == (0, 1)  # the waiting pair
    assert dict(q.model_versions) == {None: 4, "v1": 1}
    # the calibrated score against the decisions: 25 (accepted: talks failed on price), 30
    # (not relevant), 60 and 80 (accepted); the waiting pair has no label
    assert q.calibration_pairs == 4
    assert [(b["predicted"], b["observed"], b["pairs"]) for b in q.calibration] == [
        (0.25, 1.0, 1), (0.3, 0.0, 1), (0.6, 1.0, 1), (0.8, 1.0, 1)]
    assert q.calibration_ece == pytest.approx((0.75 + 0.3 + 0.4 + 0.2) / 4)


def test_the_platforms_own_moves_are_no_first_action(db_app):
    """A pair rejected automatically (its patent lapsed) got no broker's attention; and a
    person's move dated before the pair (an imported record) counts as at once, not negative."""
    automatic = pair(need=f.need("失效专利的需求"), score=0.8)
    _moved(automatic, (S.REJECTED, -3), reason=RejectionReason.PATENT_NOT_IN_FORCE, actor=None)
    early = pair(need=f.need("导入的需求"), score=0.8)
    _moved(early, (S.RECOMMENDED, -1))
    db.session.commit()
    q = quality.overview(None)
    assert q.first_action_days == {"pairs": 1, "median": 0.0, "p90": 0.0}


@pytest.mark.parametrize("username", ["admin1", "broker1"])
def test_admins_and_brokers_see_the_page(data, username):
    page = client_as(data, username).get("/quality/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "质量看板" in html and "zh_csl_discipline" in html and "0.2621" in html
    benchmarks = html.split('id="benchmarks"', 1)[1].split("</section>", 1)[0]
    # tasks and channels named for people; the code stays beside the name
    assert "中文：论文题目 → 同学科论文摘要" in benchmarks and "混合：语义相似、关键词" in benchmarks
    assert "use-multilingual" not in benchmarks and "hybrid" not in benchmarks
    assert "<svg" in html and "按周接受率" in html and "v1" in html
    conversion = html.split('id="conversion"', 1)[1].split("</section>", 1)[0]
    assert "已签约或已登记" in conversion and "全部配对" in conversion  # not 接受 / 已处理
    # the charts' values are shares: they say so (高 2 of 2 accepted, 中 1 of 2)
    band = html.split('id="by-band"', 1)[1].split("</svg>", 1)[0]
    assert ">100%</text>" in band and ">50%</text>" in band
    assert ">50%</text>" in conversion.split("</svg>", 1)[0]
    calibration = html.split('id="calibration"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in calibration and "4 个已处理且有匹配度的配对" in calibration
    for task in quality.calibration_manifest()["ece_held_out_by_task"]:  # the model in use
        assert task in calibration
    assert "英文：专利摘要 → 同 IPC 大组的专利" in calibration
    assert "中文·专利找需求：论文摘要 → 本篇关键词" in calibration  # the needs side's tasks too
    content = html.split("<main", 1)[-1].split("</main>", 1)[0]  # charts are SVG, no script
    assert "<script" not in content and ' style="' not in html


@pytest.mark.parametrize("username", ["ent1", "uni1"])
def test_other_roles_are_refused(data, username):
    assert client_as(data, username).get("/quality/").status_code == 403


def test_anonymous_is_sent_to_login(data):
    page = client_as(data, None).get("/quality/")
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


def test_empty_database(db_app, tmp_path):
    f.user(Role.ADMIN, username="admin1")
    f.user(Role.BROKER, username="broker1")
    db.session.commit()
    db_app.config["EVALUATION_DIR"] = str(tmp_path / "none")
    page = client_as(db_app, "admin1").get("/quality/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "尚无保存的评测结果" in html
    assert "python -m matchmaker.evaluation" in html  # how an administrator stores one
    # a broker is told what the empty table means, not a command line
    html = client_as(db_app, "broker1").get("/quality/").get_data(as_text=True)
    assert "暂无基准评测结果：管理员保存一次评测运行后显示。" in html
    assert "python -m" not in html and "尚无保存的评测结果" not in html


def test_the_activation_log_speaks_the_page_language(data):
    from matchmaker.learning import activation

    activation._write_state(data.config["INDEX_DIR"], {"active": "v2", "previous": [], "log": [
        {"at": "2026-03-01T09:00:00+00:00", "action": "kept", "version": "v1",
         "verdict": {"reason": "not_better_on_benchmark"}},
        {"at": "2026-03-02T09:00:00+00:00", "action": "activate", "version": "v2",
         "verdict": {"reason": "better"}},
        {"at": "2026-03-03T09:00:00+00:00", "action": "rollback", "version": "v2"}]})
    html = client_as(data, "admin1").get("/quality/").get_data(as_text=True)
    log = html.split("启用决定", 1)[1]
    for word in ("已保留，未启用", "在基准集上没有更好", "已启用", "优于当前排序", "已回滚"):
        assert word in log, word
    for code in ("not_better_on_benchmark", ">kept<", ">activate<", ">rollback<", ">better<"):
        assert code not in log, code


def test_the_calibration_card_without_decisions_or_model(db_app, tmp_path):
    f.user(Role.ADMIN, username="admin1")
    db.session.commit()
    db_app.config["CALIBRATION_FILE"] = str(tmp_path / "missing.json")
    html = client_as(db_app, "admin1").get("/quality/").get_data(as_text=True)
    calibration = html.split('id="calibration"', 1)[1].split("</section>", 1)[0]
    assert "还没有已处理且有匹配度的配对" in calibration
    assert "没有校准模型" in calibration and "<svg" not in calibration
