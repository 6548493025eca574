"""Automatic retraining after every N labelled decisions (issue 12: "the platform retrains
after every N decisions"): the N-th decision queues one ``train_reranker`` job, never a second
while it waits, and 0 switches it off."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.learning import schedule
from matchmaker.records import Job, JobStatus, Match, MatchStatus, RejectionReason
from matchmaker.services import jobs, matching, pipeline
from tests import factories as f

TOPICS = [
    ("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。"),
    ("一种钕铁硼磁体表面防腐涂层", "在钕铁硼磁体表面沉积铝涂层，提高耐腐蚀性。"),
    ("一种稀土永磁电机转子", "采用钕铁硼磁钢的永磁电机转子结构，降低涡流损耗。"),
    ("一种风电叶片除冰装置", "叶片内置电加热膜，防止风电叶片结冰。"),
    ("一种钕铁硼废料回收方法", "从钕铁硼磁体废料中回收稀土元素。"),
]


@pytest.fixture
def pairs(app, monkeypatch):
    """Candidate pairs of two needs; queued jobs stay queued (no worker picks them up)."""
    monkeypatch.setattr(jobs, "send", lambda job_id, kind=None: None)
    for title, abstract in TOPICS:
        f.patent(title, abstract)
    f.need("钕铁硼矫顽力提升", "希望提高钕铁硼磁体矫顽力并降低重稀土用量。")
    f.need("风电叶片结冰", "风电场叶片冬季结冰，需要除冰技术。", keywords=["除冰"])
    db.session.commit()
    matching.rebuild_indexes()
    matching.run_batch_matching(top_k=4)
    found = list(db.session.scalars(select(Match).order_by(Match.id)))
    assert len(found) >= 6
    return found


def _trainings() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == "train_reranker")))


def _recommend(match: Match) -> None:
    pipeline.move(match, MatchStatus.RECOMMENDED, None)


def test_the_nth_decision_queues_one_training_and_the_next_does_not(pairs, app):
    app.config["RERANK_RETRAIN_EVERY"] = 3
    _recommend(pairs[0])
    pipeline.move(pairs[1], MatchStatus.REJECTED, None,
                  rejection_reason=RejectionReason.NOT_RELEVANT)
    assert _trainings() == []
    _recommend(pairs[2])  # the third labelled decision
    queued = _trainings()
    assert len(queued) == 1 and queued[0].status is JobStatus.QUEUED
    assert queued[0].params == {"trigger": "decisions", "every": 3}
    for match in pairs[3:6]:  # more decisions while it waits: still one job
        _recommend(match)
    assert len(_trainings()) == 1


def test_decisions_after_a_finished_training_count_again(pairs, app):
    app.config["RERANK_RETRAIN_EVERY"] = 2
    _recommend(pairs[0])
    _recommend(pairs[1])
    first = _trainings()
    assert len(first) == 1
    first[0].status = JobStatus.FAILED  # e.g. too few decisions: it still counts as a training
    db.session.commit()
    assert schedule.decisions_since_training() == 0
    _recommend(pairs[2])
    assert len(_trainings()) == 1
    _recommend(pairs[3])
    assert len(_trainings()) == 2


def test_rejections_not_about_relevance_do_not_count(pairs, app):
    app.config["RERANK_RETRAIN_EVERY"] = 2
    for match in pairs[:3]:  # price or terms, never recommended: unlabelled
        pipeline.move(match, MatchStatus.REJECTED, None,
                      rejection_reason=RejectionReason.PRICE_TERMS)
    assert schedule.decisions_since_training() == 0
    assert _trainings() == []


def test_zero_switches_automatic_training_off(pairs, app):
    app.config["RERANK_RETRAIN_EVERY"] = 0
    for match in pairs[:6]:
        _recommend(match)
    assert _trainings() == []
    assert schedule.queue_if_due(0) is None
    assert schedule.retraining_due(6) is True  # the decisions are there; only the setting says no


def test_a_rejection_that_closes_the_needs_other_pairs_asks_once_whether_training_is_due(
        pairs, app, monkeypatch):
    app.config["RERANK_RETRAIN_EVERY"] = 50
    asked = []
    real = schedule.retraining_due
    monkeypatch.setattr(schedule, "retraining_due", lambda every: asked.append(every) or real(every))
    need_id = pairs[0].need_id
    others = [m for m in pairs if m.need_id == need_id and m.id != pairs[0].id]
    assert len(others) >= 2
    done = pipeline.move_reported(pairs[0], MatchStatus.REJECTED, None,
                                  rejection_reason=RejectionReason.ALREADY_SOLVED)
    assert len(done.cascaded) == len(others)  # every open pair of the need went with it
    assert asked == [50]  # one question for the whole action, not one per pair
