"""Learning from brokers: labels, features, the reranker, safe activation, rollback, simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matchmaker.learning import activation, features, judge, labels, reranker, simulate
from matchmaker.matching.engine import Ranked
from matchmaker.records import Feedback, MatchStatus, RejectionReason

from .learning_fixtures import synthetic_dump

# -- labels ----------------------------------------------------------------------------------

STATUS_GRADES = [
    (MatchStatus.REGISTERED, 4), (MatchStatus.SIGNED, 4), (MatchStatus.NEGOTIATING, 3),
    (MatchStatus.CONTACTED, 3), (MatchStatus.RECOMMENDED, 2), (MatchStatus.CANDIDATE, None),
]


@pytest.mark.parametrize(("status", "grade"), STATUS_GRADES)
def test_every_status_has_its_grade(status, grade):
    assert labels.derive(status).grade == grade


def test_every_status_is_covered():
    covered = {s for s, _ in STATUS_GRADES} | {MatchStatus.REJECTED}
    assert covered == set(MatchStatus)


def test_grades_follow_the_documented_order():
    order = [labels.derive("signed"), labels.derive("negotiating"),
             labels.derive("recommended"), labels.derive("candidate", feedback="interested"),
             labels.derive("rejected", rejection_reason="not_relevant")]
    grades = [label.grade for label in order]
    assert grades == sorted(grades, reverse=True) and len(set(grades)) == len(grades)


def test_enterprise_feedback():
    assert labels.derive("candidate", feedback=Feedback.INTERESTED).grade == 1
    assert labels.derive("candidate", feedback=Feedback.NOT_INTERESTED).grade == 0
    assert labels.derive("recommended", feedback=Feedback.NOT_INTERESTED).grade == 0
    # once talks started the deal's progress speaks, not the first reaction
    assert labels.derive("negotiating", feedback=Feedback.NOT_INTERESTED).grade == 3


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_rejection_reason(reason):
    label = labels.derive("rejected", rejection_reason=reason)
    if reason is RejectionReason.NOT_RELEVANT:
        assert label.grade == 0
    else:  # price, terms, already solved, too early...: not a negative for relevance
        assert label.grade is None and "not_about_relevance" in label.why
        # a pair that reached talks before failing on terms was relevant
        later = labels.derive("rejected", rejection_reason=reason,
                              reached=["candidate", "recommended", "negotiating", "rejected"])
        assert later.grade == 3


def test_not_relevant_stays_negative_even_after_progress():
    label = labels.derive("rejected", rejection_reason="not_relevant",
                          reached=["recommended", "contacted"])
    assert label.grade == 0


# -- features --------------------------------------------------------------------------------


def _ranked(i, fused, channels, rules=()):
    return Ranked(i, fused, i + 1, fused, channels, list(rules))


def test_feature_rows_match_their_names():
    items = [
        _ranked(1, 0.9, {"use": {"score": 0.8, "rank": 1}, "bm25": {"score": 12.0, "rank": 2}},
                [{"rule": "same_region", "delta": 0.03}, {"rule": "over_budget", "delta": -0.03}]),
        _ranked(2, 0.7, {"use": {"score": 0.6, "rank": 2}, "bm25": {"score": None, "rank": None}}),
    ]
    contexts = [
        features.Context(query_language="zh", language="en", query_field="材料",
                         candidate_field="材料", ipc=("H01F 1/057",), length=99,
                         age_years=3.0, accepted=2, rejected=1),
        features.Context(ipc=("H01F 7/02", "C22C 38/00"), length=10),
    ]
    rows = features.matrix(items, ["use", "bm25"], contexts)
    row = dict(zip(features.names(["use", "bm25"]), rows[0], strict=True))
    other = dict(zip(features.names(["use", "bm25"]), rows[1], strict=True))
    assert rows.shape == (2, len(features.names(["use", "bm25"])))
    assert row["use:score"] == 0.8 and row["use:gap"] == 0.0 and other["use:gap"] == pytest.approx(0.2)
    assert row["bm25:listed"] == 1.0 and other["bm25:listed"] == 0.0
    assert math.isnan(other["bm25:score"]) and other["bm25:rank"] == features.MISSING_RANK
    assert row["fused_rank"] == 1.0 and other["fused_gap"] == pytest.approx(0.2)
    assert row["rules_total"] == 0.0 and row["rule:same_region"] == 1.0
    assert row["rule:over_budget"] == 1.0 and row["rule:open_licence"] == 0.0
    assert row["same_language"] == 0.0 and row["candidate_en"] == 1.0
    assert other["same_language"] == 1.0
    assert row["field_agree"] == 1.0 and other["field_agree"] == 0.0
    # the second candidate shares section and subclass (H01F) but not the group with the first
    assert (other["ipc_section"], other["ipc_subclass"], other["ipc_group"]) == (1.0, 1.0, 0.0)
    assert row["log_length"] == pytest.approx(math.log1p(99)) and row["age_years"] == 3.0
    assert row["accept_rate"] == pytest.approx(3 / 5) and other["accept_rate"] == 0.5


def test_look_alike_evidence_keeps_its_scale():
    items = [_ranked(1, 0.9, {"use": {"score": 0.8, "rank": 1}}),
             _ranked(2, 0.7, {"use": {"score": 0.6, "rank": 2}})]
    contexts = [features.Context(similar_accepted=3.0, similar_rejected=1.0), features.Context()]
    rows = features.matrix(items, ["use"], contexts)
    named = [dict(zip(features.names(["use"]), row, strict=True)) for row in rows]
    assert named[0]["similar_accept_rate"] == pytest.approx(4 / 6)
    assert named[0]["similar_evidence"] == pytest.approx(math.log1p(4.0))
    # no look-alike decided yet: an even share and no evidence
    assert (named[1]["similar_accept_rate"], named[1]["similar_evidence"]) == (0.5, 0.0)
    # ten times the decisions in the same proportion: near the same share, not ten times it
    more = features.matrix(items[:1], ["use"], [features.Context(similar_accepted=30.0,
                                                                 similar_rejected=10.0)])
    assert more[0][features.names(["use"]).index("similar_accept_rate")] == pytest.approx(31 / 42)


def test_co_acceptance_counts_other_queries_that_took_a_candidate_with_the_head():
    # q1 accepted a and c together, q2 a, c and d, q3 only d; the list is a, b, c, d
    accepted_by = {"a": {"q1", "q2"}, "c": {"q1", "q2", "me"}, "d": {"q2", "q3"}}
    got = features.co_accepted(["a", "b", "c", "d"], accepted_by, "me", head=2)
    # head = a, b: c shares q1 and q2 with a; d shares q2; this query's own decision never counts
    assert got == [0.0, 0.0, 1.0, 0.5]
    assert features.co_accepted([], accepted_by, "me") == []
    assert features.co_accepted(["a", "b"], {}, "me") == [0.0, 0.0]
    rows = features.matrix([_ranked(1, 0.9, {"use": {"score": 0.8, "rank": 1}})], ["use"],
                           [features.Context(co_accepted=1.5)])
    assert rows[0][features.names(["use"]).index("co_accepted")] == 1.5
    assert features.direction("co_accepted") == 1  # more support may never count against it


def test_a_model_reads_the_features_it_was_trained_on():
    items = [_ranked(1, 0.9, {"use": {"score": 0.8, "rank": 1}})]
    rows = features.matrix(items, ["use"])
    wanted = ["fused", "use:score"]
    assert features.select(rows, ["use"], wanted).tolist() == [[0.9, 0.8]]
    with pytest.raises(KeyError):
        features.select(rows, ["use"], ["fused", "a_feature_from_the_future"])


def test_ipc_parts():
    assert features.ipc_parts("H01F 1/057") == ("H", "H01F", "H01F1")


# -- reranker, activation, rollback ------------------------------------------------------------


def _groups(dump, n=60, shown=None):
    world = simulate.World(dump)
    out = []
    for qid in sorted(world.queries)[:n]:
        items = world.queries[qid][1][:shown]
        rows = world.rows(qid, [])[: len(items)]
        out.append(reranker.Group(qid, rows, np.array(
            [2 if world.qrels[qid].get(i.id) else 0 for i in items])))
    return out


def test_trained_model_saves_loads_and_keeps_its_manifest(tmp_path):
    dump = synthetic_dump()
    model = reranker.train(_groups(dump), dump["channels"], window={"decisions": 60})
    folder = reranker.save(model, tmp_path)
    assert (folder / "model.txt").is_file()
    loaded = reranker.load(tmp_path, model.version)
    assert loaded.manifest["features"] == features.names(["good", "noisy"])
    assert loaded.manifest["window"] == {"decisions": 60}
    rows = _groups(dump, 1)[0].features
    assert np.allclose(loaded.scores(rows), model.scores(rows))


def test_training_refuses_groups_that_teach_nothing():
    dump = synthetic_dump()
    flat = [reranker.Group("q", g.features, np.zeros(len(g.grades))) for g in _groups(dump, 5)]
    with pytest.raises(ValueError):
        reranker.train(flat, dump["channels"])


def _rows(dump, grade_of):
    world = simulate.World(dump)
    rows = []
    for qid in sorted(world.queries):
        for item in world.queries[qid][1][:10]:
            rows.append({"need_id": qid, "patent_id": item.id, "decided_at": qid,
                         "grade": grade_of(world, qid, item)})
    return rows


def _make_groups(dump):
    world = simulate.World(dump)

    def make(rows):
        by_query = {}
        for row in rows:
            by_query.setdefault(row["need_id"], {})[row["patent_id"]] = row["grade"]
        out = []
        for qid, decided in by_query.items():
            items = world.queries[qid][1]
            keep = [i for i, item in enumerate(items) if item.id in decided]
            out.append(reranker.Group(qid, world.rows(qid, [])[keep],
                                      np.array([decided[items[i].id] for i in keep])))
        return out
    return make


def truthful(world, qid, item):
    return 2 if world.qrels[qid].get(item.id) else 0


def lying(world, qid, item):
    return 0 if world.qrels[qid].get(item.id) else 2


def test_activation_takes_a_better_model(tmp_path):
    dump = synthetic_dump()
    report = activation.train_and_judge(
        _rows(dump, truthful), _make_groups(dump), dump["channels"], tmp_path, margin=0.01,
        min_decisions=100, benchmarks=[dump])
    assert report["activate"] and report["reason"] == "better"
    assert report["benchmark"]["gain"] >= 0.01 and report["benchmark"]["lower"] > 0
    assert activation.state(tmp_path)["active"] == report["version"]
    # the judged model is kept; the one that serves is fitted again on every decision
    served = activation.active_model(tmp_path).manifest
    rows = [r for r in _rows(dump, truthful) if r["grade"] is not None]
    assert served["window"]["decisions"] == len(rows)
    judged = reranker.load(tmp_path, served["metrics"]["judged_version"]).manifest
    assert judged["window"]["decisions"] < len(rows)


def test_activation_refuses_a_worse_model_and_keeps_it(tmp_path):
    dump = synthetic_dump()
    # decisions that contradict the judgements: the model learns the wrong order and the
    # benchmark (the judgements) shows it
    report = activation.train_and_judge(
        _rows(dump, lying), _make_groups(dump), dump["channels"], tmp_path, margin=0.0,
        min_decisions=100, benchmarks=[dump])
    assert not report["activate"]
    assert report["reason"] in ("not_better_on_later_decisions", "not_better_on_benchmark")
    assert report["benchmark"]["new"] <= report["benchmark"]["current"]
    assert activation.state(tmp_path)["active"] is None
    assert [m["version"] for m in reranker.versions(tmp_path)] == [report["version"]]
    assert activation.state(tmp_path)["log"][-1]["action"] == "kept"


def test_activation_needs_enough_decisions(tmp_path):
    dump = synthetic_dump(queries=10)
    with pytest.raises(activation.NotEnoughDecisions):
        activation.train_and_judge(_rows(dump, truthful), _make_groups(dump), dump["channels"],
                                   tmp_path, margin=0.0, min_decisions=10_000)


def _paired(current, gains):
    return judge.Paired.of(current, [c + g for c, g in zip(current, gains, strict=True)])


def test_paired_figures():
    p = _paired([0.5, 0.4, 0.3, 0.6], [0.1, 0.1, 0.0, 0.0])
    assert p.groups == 4 and p.gain == pytest.approx(0.05)
    se = np.std([0.1, 0.1, 0.0, 0.0], ddof=1) / 2
    assert p.lower == pytest.approx(0.05 - judge.Z * se)
    assert p.upper == pytest.approx(0.05 + judge.Z * se)
    with pytest.raises(ValueError):
        judge.Paired.of([0.1], [0.1, 0.2])


BASE = [0.2, 0.5, 0.3, 0.4, 0.6, 0.1] * 4  # 24 queries


def test_decide_rule_with_a_benchmark():
    steady = _paired(BASE, [0.05, 0.04, 0.06, 0.05, 0.05, 0.05] * 4)
    level = _paired(BASE, [0.0] * 24)
    assert judge.decide(level, 0.01, 5, steady).activate
    # a mean gain above the margin that is only noise (two queries up, the rest down): refused
    lucky = _paired(BASE, [0.5, 0.5] + [-0.02] * 22)
    assert lucky.gain > 0.02 and lucky.lower < 0
    assert judge.decide(level, 0.01, 5, lucky).reason == "not_better_on_benchmark"
    # a steady gain below the margin is refused
    small = _paired(BASE, [0.004] * 24)
    assert judge.decide(level, 0.01, 5, small).reason == "not_better_on_benchmark"
    # clearly worse on what brokers were shown later: refused whatever the benchmark says
    worse = _paired(BASE, [-0.05, -0.04, -0.06, -0.05, -0.05, -0.05] * 4)
    assert judge.decide(worse, 0.01, 5, steady).reason == "worse_on_later_decisions"
    assert judge.decide(_paired(BASE[:2], [0.3, 0.3]), 0.01, 5, steady).reason == \
        "too_few_decisions"


def test_decide_rule_without_a_benchmark():
    steady = _paired(BASE, [0.05, 0.04, 0.06, 0.05, 0.05, 0.05] * 4)
    assert judge.decide(steady, 0.01, 5).activate
    assert judge.decide(_paired(BASE, [0.0] * 24), 0.01, 5).reason == \
        "not_better_on_later_decisions"
    lucky = _paired(BASE, [0.5, 0.5] + [-0.02] * 22)
    assert judge.decide(lucky, 0.01, 5).reason == "not_better_on_later_decisions"


def test_rollback_restores_the_previous_ranking(tmp_path):
    dump = synthetic_dump()
    first = reranker.train(_groups(dump, 30), dump["channels"])
    reranker.save(first, tmp_path)
    second = reranker.train(_groups(dump, 60), dump["channels"])
    second.manifest["version"] = first.version + "b"
    reranker.save(second, tmp_path)
    activation.activate(tmp_path, first.version)
    activation.activate(tmp_path, second.version)
    assert activation.active_model(tmp_path).version == second.version
    assert activation.rollback(tmp_path) == first.version
    assert activation.rollback(tmp_path) is None
    assert activation.active_model(tmp_path) is None
    with pytest.raises(ValueError):
        activation.rollback(tmp_path)


def test_activating_an_unknown_version_fails(tmp_path):
    with pytest.raises(FileNotFoundError):
        activation.activate(tmp_path, "nope")
    assert activation.state(tmp_path)["active"] is None


# -- the simulated broker ----------------------------------------------------------------------


def test_simulated_broker_learned_ranking_beats_the_unlearned_one():
    config = simulate.SimConfig(decisions=400, retrain_every=100, min_groups=3, noise=0.1,
                                other_reasons=0.1, test_share=0.3, validation_share=0.2)
    result = simulate.run(synthetic_dump(), config)
    curve = result["curve"]
    assert result["decisions"] >= 400
    assert any(point["activated"] for point in curve)
    assert result["final"] > result["baseline"] * 1.05
    # the activation rule guards the curve: never below the unlearned ranking
    assert min(point["test_ndcg"] for point in curve) >= result["baseline"]
