"""Learning on the database: labelled pairs, the JSONL export, the rerank hook, the commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.learning import activation, dataset, features, reranker, schedule
from matchmaker.matching import rows as R
from matchmaker.matching.engine import Ranked
from matchmaker.records import Feedback, Match, MatchHistory, MatchStatus, RejectionReason
from matchmaker.services import matching
from tests import factories as f

TOPICS = [
    ("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。"),
    ("一种钕铁硼磁体表面防腐涂层", "在钕铁硼磁体表面沉积铝涂层，提高耐腐蚀性。"),
    ("一种稀土永磁电机转子", "采用钕铁硼磁钢的永磁电机转子结构，降低涡流损耗。"),
    ("一种风电叶片除冰装置", "叶片内置电加热膜，防止风电叶片结冰。"),
    ("一种铈基稀土抛光粉", "铈基抛光粉粒度分布均匀，用于玻璃抛光。抛光粉由碳酸铈焙烧、分级制得，"
                        "适用于光学玻璃、液晶基板和硬盘玻璃基片的精密抛光，抛光速率高。"),
    ("一种钕铁硼废料回收方法", "从钕铁硼磁体废料中回收稀土元素。"),
]


@pytest.fixture
def world(app):
    patents = [f.patent(t, a) for t, a in TOPICS]
    needs = [f.need("钕铁硼矫顽力提升", "希望提高钕铁硼磁体矫顽力并降低重稀土用量。"),
             f.need("风电叶片结冰", "风电场叶片冬季结冰，需要除冰技术。", keywords=["除冰"])]
    db.session.commit()
    matching.rebuild_indexes()
    return patents, needs


def _move(match: Match, status: MatchStatus, **kw) -> None:
    match.history.append(MatchHistory(from_status=match.status, to_status=status))
    match.status = status
    for key, value in kw.items():
        setattr(match, key, value)


def test_labelled_pairs_and_jsonl_export(world, app):
    patents, needs = world
    matching.run_batch_matching(top_k=4)
    pairs = {(m.need_id, m.patent_id): m for m in db.session.scalars(select(Match))}
    signed = pairs[(needs[0].id, patents[0].id)]
    _move(signed, MatchStatus.RECOMMENDED)
    _move(signed, MatchStatus.SIGNED)
    rejected = pairs[(needs[1].id, patents[3].id)]
    _move(rejected, MatchStatus.RECOMMENDED)
    _move(rejected, MatchStatus.REJECTED, rejection_reason=RejectionReason.PRICE_TERMS)
    other = next(m for k, m in pairs.items() if k[0] == needs[0].id and m is not signed)
    other.enterprise_feedback = Feedback.NOT_INTERESTED
    db.session.commit()

    rows = {(r["need_id"], r["patent_id"]): r for r in dataset.labelled()}
    assert len(rows) == 3  # untouched 待审 pairs are not decisions
    assert rows[(signed.need_id, signed.patent_id)]["grade"] == 4
    # rejected on price after being recommended: still a relevant pair
    assert rows[(rejected.need_id, rejected.patent_id)]["grade"] == 2
    assert rows[(other.need_id, other.patent_id)]["grade"] == 0
    # the retraining schedule's light reading grades every decision as the export does
    light = list(dataset.decision_labels())
    assert sorted((lab.grade, lab.why) for lab in light) == sorted(
        (r["grade"], r["why"]) for r in rows.values())
    assert schedule.decisions_since_training() == 3

    result = app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["export-feedback"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert {(r["need_id"], r["patent_id"], r["grade"]) for r in lines} == {
        (k[0], k[1], r["grade"]) for k, r in rows.items()}
    assert all(r["channel_scores"] and r["why"] for r in lines)


def test_history_counts_decisions_of_other_needs_and_who_accepted_together(world):
    """What the reranker reads of earlier decisions: per patent, accepted / rejected for other
    needs, and the needs that accepted it (patents recommended together for one need)."""
    patents, needs = world
    third = f.need("钕铁硼磁体", "需要高矫顽力钕铁硼磁体及其表面防腐。")
    db.session.commit()
    for need, patent, status in ((needs[0], patents[0], MatchStatus.RECOMMENDED),
                                 (needs[0], patents[1], MatchStatus.NEGOTIATING),
                                 (needs[1], patents[1], MatchStatus.REJECTED)):
        match = Match(need_id=need.id, patent_id=patent.id, score=0.5, status=status,
                      rejection_reason=RejectionReason.NOT_RELEVANT
                      if status is MatchStatus.REJECTED else None)
        db.session.add(match)
    db.session.commit()
    from matchmaker.learning.apply import _history

    ids = [patents[0].id, patents[1].id, patents[2].id]
    history = _history(ids, third.id)
    assert history.of(patents[0].id) == (1, 0) and history.of(patents[1].id) == (1, 1)
    assert history.of(patents[2].id) == (0, 0)
    assert history.accepted_by == {patents[0].id: {needs[0].id}, patents[1].id: {needs[0].id}}
    rows = dataset.contexts(third, [patents[0], patents[2], patents[1]], history)
    # the second patent was accepted together with the list's first for another need
    assert [c.co_accepted for c in rows] == [pytest.approx(1 / 3), 0.0, pytest.approx(1 / 3)]
    # the need's own decisions are not evidence about itself
    assert _history(ids, needs[0].id).accepted_by == {}


def test_without_an_active_model_ranking_is_unchanged(world):
    _, needs = world
    need = needs[0]
    served = matching.match_need(need, k=4)
    plain = matching.engine().match(
        "need", R.need_facts(need), R.prepare_need_row(need), 4,
        facts=R.load_patent_facts, docs=R.load_patent_docs)
    assert [(c.patent_id, c.rank, c.score) for c in served] == [(r.id, r.rank, r.score)
                                                                for r in plain]
    assert all("reranker" not in c.explanation for c in served)


def _length_model(channels: list[str]) -> reranker.Reranker:
    """A model taught that the longest candidate text is the best, whatever the engine says."""
    rng = np.random.default_rng(3)
    groups = []
    for g in range(60):
        items = [Ranked(i, float(s), i + 1, float(s),
                        {c: {"score": float(s), "rank": i + 1} for c in channels}, [])
                 for i, s in enumerate(sorted(rng.uniform(0.3, 0.9, 8), reverse=True))]
        lengths = rng.permutation(np.arange(8) * 10 + 20)
        rows = features.matrix(items, channels, [features.Context(length=int(n))
                                                 for n in lengths])
        groups.append(reranker.Group(str(g), rows, np.argsort(np.argsort(lengths)) // 2))
    return reranker.train(groups, channels, rounds=300, params={"min_data_in_leaf": 5})


def test_an_active_model_reorders_and_is_recorded_on_the_pair(world, app):
    patents, needs = world
    channels = [c.name for c in matching.engine().channels()]
    model = _length_model(channels)
    reranker.save(model, app.config["INDEX_DIR"])
    activation.activate(app.config["INDEX_DIR"], model.version)

    served = matching.match_need(needs[0], k=3)
    length = {p.id: len(f"{p.title} {p.abstract}") for p in patents}
    assert len(served) == 3 and [c.rank for c in served] == [1, 2, 3]
    # the engine was asked for RERANK_DEPTH candidates: the longest of all six comes first
    assert served[0].patent_id == max(length, key=length.get)
    assert served[0].explanation["engine_rank"] > 1
    assert all(c.explanation["reranker"] == model.version for c in served)

    matching.match_and_store_need(needs[0].id, k=3)
    stored = list(db.session.scalars(select(Match).where(Match.need_id == needs[0].id)))
    assert stored and {m.model_version for m in stored} == {model.version}

    # rolled back: the engine's order again, and new pairs carry no model version
    activation.rollback(app.config["INDEX_DIR"])
    again = matching.match_need(needs[0], k=3)
    assert all("reranker" not in c.explanation for c in again)
    assert [c.rank for c in again] == [1, 2, 3]


def test_train_command_with_too_few_decisions_changes_nothing(world, app):
    result = app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["train-reranker"])
    assert result.exit_code == 1
    assert "labelled decisions" in result.output and "ranking as before" in result.output
    assert activation.state(app.config["INDEX_DIR"])["active"] is None


def test_rollback_command(app):
    result = app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["rollback-reranker"])
    assert result.exit_code == 1 and "no active model" in result.output
