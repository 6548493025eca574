"""A simulated broker working a benchmark task's queue, and the platform learning from it.

The task's stored candidates (``bench/learning_candidates.py``: the engine's fused top
candidates per query with channel scores) and its relevance judgements stand in for the
portal: queries are split into the queue the broker works, validation queries (the
benchmark the activation rule checks) and held-out test queries (the learning curve). For each
queue query the broker sees the top ``shown`` candidates of the active ranking and decides each
by the judgements: relevant -> recommend (grade 2), not relevant -> reject "not relevant"
(grade 0), with ``noise`` of the decisions flipped and ``other_reasons`` of them rejections for
reasons that are not about relevance (price, terms: no label). After every ``retrain_every``
decisions a model is trained on all but the latest ``holdback`` of the decisions and judged
against the active ranking on those later decisions and on the validation queries, query by
query (``judge.decide``); a model that passes is fitted again on every decision and serves.
Pure: no database, no files.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import features as F
from .judge import Paired, decide, ndcgs
from .reranker import Group, Reranker, train

RECOMMEND, NOT_RELEVANT = 2, 0
HEAD = 20  # top candidates compared to tell how alike two queries are (no vectors)
NEAR = 0.3  # cosine below which another query or candidate says nothing about this one


@dataclass(frozen=True)
class SimConfig:
    """Knobs of one simulation run."""

    decisions: int = 2000
    retrain_every: int = 250
    shown: int = 10
    noise: float = 0.1
    other_reasons: float = 0.1
    holdback: float = 0.2
    test_share: float = 0.2
    validation_share: float = 0.2
    margin: float = 0.005
    min_groups: int = 10
    rounds: int = 100
    refit: bool = True  # an activated model is fitted again on every decision
    seed: int = 13


@dataclass
class Item:
    """One stored candidate, shaped like the engine's ranked item."""

    id: str
    score: float
    channels: dict
    rules: list = field(default_factory=list)

    @property
    def fused(self) -> float:
        return self.score


class World:
    """The task's candidates and judgements with the decisions taken so far."""

    def __init__(self, dump: dict):
        self.channels = list(dump["channels"])
        self.qrels = dump["qrels"]
        self.lengths = {d: int(v.get("length", 0)) for d, v in dump["documents"].items()}
        self.queries = {q: (v["text"], [Item(c["id"], c["score"], c["channels"])
                                        for c in v["candidates"]])
                        for q, v in dump["queries"].items() if q in self.qrels}
        # How alike two queries (two candidates) are: cosine of the primary channel's vectors
        # when the dump has them, else the overlap of the engine's top lists.
        self.heads = {q: {i.id for i in items[:HEAD]} for q, (_, items) in self.queries.items()}
        self.query_row = {q: n for n, q in enumerate(self.queries)}
        self.doc_row = {d: n for n, d in enumerate(dump["documents"])}
        self.query_vectors = _matrix([dump["queries"][q].get("vector") for q in self.queries])
        self.doc_vectors = _matrix([v.get("vector") for v in dump["documents"].values()])
        self._decided_key: tuple | None = None
        self._decided_arrays: tuple = ()
        self._rows_key: tuple | None = None
        self._rows: dict[str, np.ndarray] = {}
        self._accepted_key: tuple | None = None
        self._accepted: dict[str, set[str]] = {}

    def similarity(self, a: str, b: str) -> float:
        """Share of the engine's top candidates two queries have in common."""
        return len(self.heads[a] & self.heads[b]) / HEAD

    def _decided(self, log) -> tuple:
        """The labelled decisions of ``log`` as arrays (query ids, signs, query and candidate
        vectors), computed once per state of the log: every query's features read them."""
        key = _log_key(log)
        if self._decided_key != key:
            decided = [(q, d, g) for q, d, g in log if g is not None]
            qids = np.array([q for q, _, _ in decided], dtype=object)
            sign = np.array([1.0 if g > 0 else 0.0 for _, _, g in decided])
            qv = dv = None
            if decided and self.query_vectors is not None and self.doc_vectors is not None:
                qv = self.query_vectors[[self.query_row[q] for q, _, _ in decided]]
                dv = self.doc_vectors[[self.doc_row[d] for _, d, _ in decided]]
            self._decided_key, self._decided_arrays = key, (decided, qids, sign, qv, dv)
        return self._decided_arrays

    def votes(self, qid: str, items: list[Item], log) -> tuple[np.ndarray, np.ndarray]:
        """Decisions of other queries on these candidates or on near-identical ones, weighted
        by how alike the queries are: (for, against) per candidate."""
        everything, qids, sign, qv, dv = self._decided(log)
        n = len(items)
        if not len(everything) or not (qids != qid).any():
            return np.zeros(n), np.zeros(n)
        if qv is not None:
            q = self.query_vectors[self.query_row[qid]]
            wq = _near(qv @ q) * (qids != qid)  # this query's own decisions do not vote
            cand = self.doc_vectors[[self.doc_row[i.id] for i in items]]
            wd = _near(cand @ dv.T)
        else:
            others = qids != qid
            decided = [e for e, keep in zip(everything, others, strict=True) if keep]
            sign = sign[others]
            wq = np.array([self.similarity(qid, x) for x, _, _ in decided])
            ids = [i.id for i in items]
            wd = np.array([[1.0 if a == d else 0.0 for _, d, _ in decided] for a in ids])
        return wd @ (wq * sign), wd @ (wq * (1 - sign))

    def _accepted_by(self, log) -> dict[str, set[str]]:
        """Per candidate, the queries that accepted it (once per state of the log)."""
        key = _log_key(log)
        if self._accepted_key != key:
            accepted: dict[str, set[str]] = {}
            for q, doc, grade in log:
                if grade is not None and grade > 0:
                    accepted.setdefault(doc, set()).add(q)
            self._accepted_key, self._accepted = key, accepted
        return self._accepted

    def rows(self, qid: str, log: list[tuple[str, str, int | None]]) -> np.ndarray:
        """Feature rows of a query's candidates, history counted from ``log`` (other queries).

        Cached per state of the log (the active and the new model read the same rows)."""
        key = _log_key(log)
        if self._rows_key != key:
            self._rows_key, self._rows = key, {}
        if qid not in self._rows:
            self._rows[qid] = self._compute_rows(qid, log)
        return self._rows[qid]

    def _compute_rows(self, qid: str, log) -> np.ndarray:
        text, items = self.queries[qid]
        accepted, rejected = Counter(), Counter()
        mine = {i.id for i in items}
        for q, doc, grade in log:
            if q != qid and grade is not None and doc in mine:
                (accepted if grade > 0 else rejected)[doc] += 1
        near_yes, near_no = self.votes(qid, items, log)
        together = F.co_accepted([i.id for i in items], self._accepted_by(log), qid)
        contexts = [F.Context(query_length=len(text), length=self.lengths.get(i.id, 0),
                              accepted=accepted[i.id], rejected=rejected[i.id],
                              similar_accepted=float(near_yes[n]),
                              similar_rejected=float(near_no[n]), co_accepted=together[n])
                    for n, i in enumerate(items)]
        return F.matrix(items, self.channels, contexts)

    def order(self, qid: str, model: Reranker | None, log) -> list[int]:
        """Candidate positions best first under ``model`` (None: the engine's order)."""
        n = len(self.queries[qid][1])
        return list(range(n)) if model is None else model.order(self.rows(qid, log))

    def ndcg(self, qids: list[str], model: Reranker | None, log) -> float:
        """Mean nDCG@10 of ``qids`` against the task's judgements."""
        values = self.ndcgs(qids, model, log)
        return float(np.mean(values)) if values else 0.0

    def ndcgs(self, qids: list[str], model: Reranker | None, log) -> list[float]:
        """nDCG@10 of each of ``qids`` with a relevant candidate (in order)."""
        orders, grades = [], []
        for qid in qids:
            items = self.queries[qid][1]
            orders.append(self.order(qid, model, log))
            grades.append([self.qrels[qid].get(i.id, 0) for i in items])
        return ndcgs(orders, grades)

    def groups(self, log: list[tuple[str, str, int | None]],
               history: list[tuple[str, str, int | None]]) -> list[Group]:
        """Training groups from the labelled decisions in ``log`` (features from ``history``)."""
        by_query: dict[str, dict[str, int]] = {}
        for qid, doc, grade in log:
            if grade is not None:
                by_query.setdefault(qid, {})[doc] = grade
        out = []
        for qid, labelled in by_query.items():
            items = self.queries[qid][1]
            keep = [i for i, item in enumerate(items) if item.id in labelled]
            rows = self.rows(qid, history)[keep]
            out.append(Group(qid, rows, np.array([labelled[items[i].id] for i in keep])))
        return out


def _log_key(log: list) -> tuple:
    """Names one state of the decision log: the simulation's logs are prefixes of one log that
    only grows by appending, so its length and last decision tell two states apart."""
    return (len(log), log[-1] if log else None)


def _matrix(vectors: list) -> np.ndarray | None:
    if not vectors or any(v is None for v in vectors):
        return None
    return np.asarray(vectors, dtype=np.float32)


def _near(cosines: np.ndarray) -> np.ndarray:
    """Weight of a neighbour: only close ones count, and the closest count most."""
    return np.clip((cosines - NEAR) / (1 - NEAR), 0.0, 1.0) ** 2


def split(qids: list[str], config: SimConfig) -> tuple[list[str], list[str], list[str]]:
    """(queue, validation, test) query ids, shuffled with the run's seed."""
    qids = sorted(qids)
    random.Random(config.seed).shuffle(qids)
    n_test = int(len(qids) * config.test_share)
    n_val = int(len(qids) * config.validation_share)
    return qids[n_test + n_val:], qids[n_test:n_test + n_val], qids[:n_test]


def _decide(relevant: bool, rng: random.Random, config: SimConfig) -> int | None:
    if rng.random() < config.other_reasons:
        return None  # rejected for price or terms: says nothing about relevance
    if rng.random() < config.noise:
        relevant = not relevant
    return RECOMMEND if relevant else NOT_RELEVANT


def _later_decisions(world: World, model: Reranker | None, later, history) -> list[float]:
    """nDCG@10 per query of a ranking over the labelled candidates of the later decisions."""
    orders, grades = [], []
    for group in world.groups(later, history):
        items = world.queries[group.query][1]
        labelled = {d: g for q, d, g in later if q == group.query and g is not None}
        ranked = [p for p in world.order(group.query, model, history)
                  if items[p].id in labelled]
        orders.append(list(range(len(ranked))))
        grades.append([labelled[items[p].id] for p in ranked])
    return ndcgs(orders, grades)


def run(dump: dict, config: SimConfig | None = None, on_point=None) -> dict:
    """Simulate; returns the learning curve and the activation decisions. ``on_point`` (if
    given) sees each point of the curve as it is measured (long runs report progress)."""
    config = config or SimConfig()
    world = World(dump)
    rng = random.Random(config.seed)
    queue, validation, test = split(list(world.queries), config)
    log: list[tuple[str, str, int | None]] = []
    active: Reranker | None = None
    baseline = world.ndcg(test, None, log)
    curve = [{"decisions": 0, "test_ndcg": round(baseline, 4), "candidate_ndcg": None,
              "activated": False, "verdict": None}]
    next_retrain = config.retrain_every
    for qid in queue:
        if len(log) >= config.decisions:
            break
        items = world.queries[qid][1]
        for position in world.order(qid, active, log)[: config.shown]:
            doc = items[position].id
            log.append((qid, doc, _decide(world.qrels[qid].get(doc, 0) > 0, rng, config)))
        if len(log) < next_retrain:
            continue
        next_retrain += config.retrain_every
        cut = int(len(log) * (1 - config.holdback))
        older, later = log[:cut], log[cut:]
        try:
            model = train(world.groups(older, older), world.channels, rounds=config.rounds,
                          window={"decisions": cut})
        except ValueError:
            continue
        judged = Paired.of(_later_decisions(world, active, later, older),
                           _later_decisions(world, model, later, older))
        bench = Paired.of(world.ndcgs(validation, active, log),
                          world.ndcgs(validation, model, log))
        verdict = decide(judged, config.margin, config.min_groups, bench)
        if verdict.activate:
            # judged on the later decisions, it is then fitted again on all of them: the
            # newest decisions are the most informative ones to leave out of the served model
            active = (train(world.groups(log, log), world.channels, rounds=config.rounds,
                            window={"decisions": len(log)}) if config.refit else model)
        curve.append({"decisions": len(log),
                      "test_ndcg": round(world.ndcg(test, active, log), 4),
                      "candidate_ndcg": round(world.ndcg(test, model, log), 4),
                      "activated": verdict.activate, "verdict": verdict.as_dict()})
        if on_point is not None:
            on_point(curve[-1])
    final = curve[-1]["test_ndcg"]
    return {"baseline": round(baseline, 4), "final": final,
            "gain": round(final / baseline - 1, 4) if baseline else None,
            "decisions": len(log), "queries": {"queue": len(queue), "validation":
                                               len(validation), "test": len(test)},
            "config": config.__dict__, "curve": curve}
