"""Replay: what a transform of the primary vectors, learned from the simulated broker's
decisions, adds to the engine's ranking of held-out queries (issue 12, "optional and measured":
a small linear adapter on the dense embeddings trained on accepted pairs).

    .venv/bin/python bench/adapter_replay.py bench/out/zh_csl_discipline.candidates.json \
        --decisions 2000

The broker is ``matchmaker.learning.simulate``'s (same seed, split, noise and share of
non-relevance reasons; it sees the engine's top 10, as it does until a model is activated).
From the labelled decisions (query vector, candidate vector, accepted or not) three kinds of
adapter are fitted on the primary channel's unit vectors (the candidates dump keeps them):

- ``diagonal``: a weight per dimension, s(q, d) = sum_i w_i q_i d_i (logistic regression);
- ``bilinear k``: a full k x k bilinear form in the top-k principal components (logistic
  regression on the outer products);
- ``kissme k``: KISSME (Koestinger et al., CVPR 2012), a Mahalanobis metric from the
  covariances of the differences of accepted and of rejected pairs, in k principal components;
- ``kissme+ k``: the same with the pairs one query's decisions imply between candidates: two
  patents accepted for one need are alike, one accepted and one rejected for it are not.

Each candidate's score becomes fused + lambda * (the adapter's similarity, z-scored within the
query's list); lambda is chosen on the validation queries (the activation rule's benchmark),
and the figure that counts is nDCG@10 on the held-out test queries. Nothing here is shipped.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.learning.judge import ndcgs  # noqa: E402
from matchmaker.learning.simulate import SimConfig, World, _decide, split  # noqa: E402

LAMBDAS = (0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)


def broker_log(world: World, queue: list[str], config: SimConfig) -> list[tuple]:
    """The simulated broker's decisions on the engine's top ``shown`` of each queue query."""
    rng = random.Random(config.seed)
    log: list[tuple] = []
    for qid in queue:
        if len(log) >= config.decisions:
            break
        items = world.queries[qid][1]
        for item in items[: config.shown]:
            log.append((qid, item.id, _decide(world.qrels[qid].get(item.id, 0) > 0, rng, config)))
    return log


def _z(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    return (values - values.mean()) / sd if sd > 1e-9 else values * 0


def mean_ndcg(world: World, qids: list[str], similarity, lam: float) -> float:
    orders, grades = [], []
    for qid in qids:
        items = world.queries[qid][1]
        score = np.array([i.score for i in items])
        if lam:
            rows = np.array([world.doc_row[i.id] for i in items])
            score = score + lam * _z(similarity(world.query_row[qid], rows))
        orders.append(list(np.argsort(-score, kind="stable")))
        grades.append([world.qrels[qid].get(i.id, 0) for i in items])
    return float(np.mean(ndcgs(orders, grades)))


def adapters(world: World, log: list[tuple]):
    """(name, similarity(query row, candidate rows)) of every adapter fitted on ``log``."""
    from sklearn.linear_model import LogisticRegression

    labelled = [(q, d, g) for q, d, g in log if g is not None]
    Q, D = world.query_vectors, world.doc_vectors
    qi = np.array([world.query_row[q] for q, _, _ in labelled])
    di = np.array([world.doc_row[d] for _, d, _ in labelled])
    y = np.array([1.0 if g > 0 else 0.0 for *_, g in labelled])
    w = LogisticRegression(C=1.0, max_iter=3000).fit(Q[qi] * D[di], y).coef_[0]
    yield "diagonal", lambda r, rows: (D[rows] * Q[r]) @ w
    everything = np.vstack([Q, D])
    mean = everything.mean(0)
    _, _, components = np.linalg.svd(everything - mean, full_matrices=False)
    for k in (16, 32, 64):
        qp, dp = (Q - mean) @ components[:k].T, (D - mean) @ components[:k].T
        qp /= np.linalg.norm(qp, axis=1, keepdims=True)
        dp /= np.linalg.norm(dp, axis=1, keepdims=True)
        outer = np.einsum("ni,nj->nij", qp[qi], dp[di]).reshape(len(qi), -1)
        W = LogisticRegression(C=0.1, max_iter=3000).fit(outer, y).coef_[0].reshape(k, k)
        W = (W + W.T) / 2
        yield f"bilinear {k}", lambda r, rows, W=W, qp=qp, dp=dp: dp[rows] @ (W @ qp[r])
        diff = qp[qi] - dp[di]
        alike, unlike = _implied(labelled, world, dp)
        for name, pos, neg in ((f"kissme {k}", diff[y > 0], diff[y == 0]),
                               (f"kissme+ {k}", np.vstack([diff[y > 0], *alike]),
                                np.vstack([diff[y == 0], *unlike]))):
            yield name, _kissme(pos, neg, qp, dp)


def _implied(labelled: list[tuple], world: World, dp: np.ndarray):
    """Differences of candidate pairs one query's decisions imply: (alike, unlike) lists."""
    by_query: dict[str, list[tuple[int, bool]]] = {}
    for q, d, g in labelled:
        by_query.setdefault(q, []).append((world.doc_row[d], g > 0))
    alike, unlike = [], []
    for decided in by_query.values():
        yes = [row for row, ok in decided if ok]
        no = [row for row, ok in decided if not ok]
        alike += [dp[a] - dp[b] for n, a in enumerate(yes) for b in yes[n + 1:]]
        unlike += [dp[a] - dp[b] for a in yes for b in no]
    return [np.array(alike).reshape(-1, dp.shape[1])], [np.array(unlike).reshape(-1, dp.shape[1])]


def _kissme(pos: np.ndarray, neg: np.ndarray, qp: np.ndarray, dp: np.ndarray):
    ridge = 1e-2 * np.eye(qp.shape[1])
    M = (np.linalg.inv(pos.T @ pos / len(pos) + ridge)
         - np.linalg.inv(neg.T @ neg / len(neg) + ridge))

    def similarity(r, rows):
        gap = dp[rows] - qp[r]
        return -np.einsum("ij,jk,ik->i", gap, M, gap)

    return similarity


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", help="a dump of bench/learning_candidates.py")
    parser.add_argument("--decisions", type=int, default=2000)
    args = parser.parse_args()
    world = World(json.loads(Path(args.candidates).read_text()))
    if world.query_vectors is None or world.doc_vectors is None:
        parser.error("the dump has no vectors (dump it again with bench/learning_candidates.py)")
    config = SimConfig(decisions=args.decisions)
    queue, validation, test = split(list(world.queries), config)
    log = broker_log(world, queue, config)
    labelled = [g for *_, g in log if g is not None]
    base = mean_ndcg(world, test, None, 0.0)
    print(f"{len(log)} decisions ({len(labelled)} labelled, {sum(g > 0 for g in labelled)} "
          f"accepted); queries: queue {len(queue)}, validation {len(validation)}, "
          f"test {len(test)}; engine on test: {base:.4f}")
    print("| adapter | lambda (validation nDCG@10) | test nDCG@10 | vs engine |")
    print("|---|---|---|---|")
    chosen = None  # the adapter and lambda best on the validation queries
    for name, similarity in adapters(world, log):
        on_validation = [mean_ndcg(world, validation, similarity, lam) for lam in LAMBDAS]
        lam = LAMBDAS[int(np.argmax(on_validation))]
        figure = mean_ndcg(world, test, similarity, lam)
        print(f"| {name} | {lam} ({max(on_validation):.4f}) | {figure:.4f} | "
              f"{figure / base - 1:+.1%} |")
        if chosen is None or max(on_validation) > chosen[1]:
            chosen = (name, max(on_validation), figure)
    print(f"chosen on validation: {chosen[0]}, test {chosen[2]:.4f} ({chosen[2] / base - 1:+.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
