"""Rejections that teach at once, and training as a background job (issue 12, points 2 and 6)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.learning.immediate import Rejections, demote, look_alikes
from matchmaker.records import Job, JobStatus, Match, MatchStatus, RejectionReason, Role
from matchmaker.services import matching, pipeline
from tests import factories as f


@dataclass
class Item:
    id: int
    score: float
    rank: int = 0
    explanation: dict = field(default_factory=dict)


def _vectors(table: dict[str, dict[int, list[float]]]):
    def vectors(side, ids):
        return {i: np.asarray(table[side][i], np.float32) for i in ids if i in table[side]}
    return vectors


VECS = {
    "patents": {1: [1, 0, 0], 2: [0.99, 0.14, 0], 3: [0, 1, 0], 9: [1, 0.01, 0]},
    "needs": {10: [0, 0, 1], 11: [0.05, 0, 1], 12: [1, 0, 0]},
}


def test_look_alikes_needs_the_threshold():
    found = look_alikes({2: np.array([1.0, 0.1]), 3: np.array([0.0, 1.0])},
                        {9: np.array([1.0, 0.0])}, 0.9)
    assert set(found) == {2} and found[2][0] == 9 and 0.99 < found[2][1] <= 1.0


def test_a_twin_of_a_rejected_patent_drops_below_the_others():
    ranked = [Item(2, 0.80), Item(3, 0.75), Item(1, 0.70)]
    out = demote(ranked, 10, Rejections(frozenset({9})), query_side="needs",
                 candidate_side="patents", vectors=_vectors(VECS), threshold=0.9, penalty=0.2)
    assert [r.id for r in out] == [3, 2, 1]  # 2 and 1 look like the rejected 9
    assert [r.rank for r in out] == [1, 2, 3]
    assert out[1].explanation["demoted"]["like"] == "candidate"
    assert out[1].explanation["demoted"]["id"] == 9
    assert out[1].score == pytest.approx(0.60)
    assert "demoted" not in out[0].explanation


def test_a_patent_rejected_for_a_look_alike_need_drops():
    ranked = [Item(3, 0.80), Item(2, 0.75)]
    rejections = Rejections(frozenset(), {3: frozenset({11}), 2: frozenset({12})})
    out = demote(ranked, 10, rejections, query_side="needs", candidate_side="patents",
                 vectors=_vectors(VECS), threshold=0.9, penalty=0.2)
    # patent 3 was rejected for need 11, which reads like need 10; need 12 does not
    assert [r.id for r in out] == [2, 3]
    assert out[1].explanation["demoted"] == {"like": "query", "id": 11,
                                             "similarity": pytest.approx(0.9988, abs=1e-3)}


def test_nothing_to_learn_keeps_the_list():
    ranked = [Item(3, 0.80), Item(2, 0.75)]
    assert demote(ranked, 10, Rejections(), query_side="needs", candidate_side="patents",
                  vectors=_vectors(VECS)) is ranked
    assert [r.explanation for r in ranked] == [{}, {}]


TWIN = ("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力，降低重稀土用量。")


@pytest.fixture
def twins(app):
    broker = f.user(Role.BROKER, username="teach-broker")
    a = f.patent(*TWIN)
    b = f.patent(*TWIN)  # the same text: a look-alike of a
    c = f.patent("一种风电叶片除冰装置", "叶片内置电加热膜，防止风电叶片结冰。")
    n = f.need("钕铁硼矫顽力提升", "希望通过晶界扩散提高钕铁硼磁体矫顽力，降低重稀土用量。")
    db.session.commit()
    matching.rebuild_indexes()
    matching.run_batch_matching(top_k=3)
    pairs = {m.patent_id: m for m in db.session.scalars(select(Match).where(
        Match.need_id == n.id))}
    assert {a.id, b.id} <= set(pairs)
    return broker, a, b, c, n, pairs


def test_rejecting_as_not_relevant_demotes_the_twin_pair_in_the_queue(twins, app):
    broker, a, b, c, n, pairs = twins
    before = pairs[b.id].score
    pipeline.move(pairs[a.id], MatchStatus.REJECTED, None,
                  rejection_reason=RejectionReason.NOT_RELEVANT)
    db.session.expire_all()
    twin = db.session.get(Match, pairs[b.id].id)
    assert twin.status is MatchStatus.CANDIDATE
    assert twin.score == pytest.approx(before - app.config["TEACH_PENALTY"])
    assert twin.explanation["demoted"]["id"] == a.id
    job = db.session.scalars(select(Job).where(Job.kind == "teach_rejection")).one()
    assert job.status is JobStatus.SUCCEEDED and job.result == {"demoted": 1}
    # ranking again: the twin is pushed down as well
    ranked = matching.service().match_need(db.session.get(type(n), n.id), 3)
    twin_ranked = next(r for r in ranked if r.id == b.id)
    assert twin_ranked.explanation["demoted"]["like"] == "candidate"
    assert a.id not in [r.id for r in ranked]


def test_other_rejection_reasons_teach_nothing(twins, app):
    broker, a, b, c, n, pairs = twins
    before = pairs[b.id].score
    pipeline.move(pairs[a.id], MatchStatus.REJECTED, None,
                  rejection_reason=RejectionReason.PRICE_TERMS)
    db.session.expire_all()
    assert db.session.get(Match, pairs[b.id].id).score == pytest.approx(before)
    assert not db.session.scalars(select(Job).where(Job.kind == "teach_rejection")).all()


def test_teaching_can_be_switched_off(twins, app):
    broker, a, b, c, n, pairs = twins
    app.config["TEACH_AT_ONCE"] = False
    before = pairs[b.id].score
    pipeline.move(pairs[a.id], MatchStatus.REJECTED, None,
                  rejection_reason=RejectionReason.NOT_RELEVANT)
    db.session.expire_all()
    assert db.session.get(Match, pairs[b.id].id).score == pytest.approx(before)
    ranked = matching.service().match_need(db.session.get(type(n), n.id), 3)
    assert all("demoted" not in r.explanation for r in ranked)


def test_admin_is_told_training_needs_more_decisions_and_nothing_is_queued(app, client):
    admin = f.user(Role.ADMIN, username="quality-admin")
    db.session.commit()
    f.login(client, admin.username)
    needed = app.config["RERANK_MIN_DECISIONS"]
    html = client.get("/quality/").get_data(as_text=True)
    # too few decisions: the job could only fail, so the page offers no training
    assert "/quality/train" not in html and f"需要 {needed} 个才能训练" in html
    answer = client.post("/quality/train")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/quality/")
    assert db.session.scalars(select(Job).where(Job.kind == "train_reranker")).first() is None


def test_brokers_see_no_training_button(app, client):
    broker = f.user(Role.BROKER, username="quality-broker")
    db.session.commit()
    f.login(client, broker.username)
    assert "/quality/train" not in client.get("/quality/").get_data(as_text=True)
    assert client.post("/quality/train").status_code == 403
