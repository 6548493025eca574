"""``python -m matchmaker.evaluation.calibrate TASK_DIR...``: fit the calibrated match score.

For every query of every task the production engine (the same indexing as
``python -m matchmaker.evaluation``) ranks the corpus; each of the first ``--top`` fused
candidates becomes one example: its absolute evidence (``matching.evidence``) and label 1 when
the task's qrels judge it relevant. Queries are split by a hash of task and query id: 70 % fit
a model monotone in the evidence, 30 % are held out; the expected calibration error (10 bins)
is reported on the held-out queries, per task and overall. ``--model trees`` (the default):
boosted trees (LightGBM, monotone constraints on the evidence, free on the context);
``--model linear``: logistic, non-negative weights on the evidence (scipy L-BFGS-B). Each task
weighs the same in the fit, so the score means the same for topical needs (many relevant
patents) and known items (one). ``--leave-task-out`` also fits without each task in turn and
reports that task's held-out error: how the model does on a kind of query it never saw.

``--docs N`` samples N documents of each corpus uniformly (a smaller corpus to encode on a
small machine; a query keeps the judged documents in the sample and is dropped without one). Prints one JSON object; ``--out`` writes the
model with its manifest, ``--figure`` the reliability curve (PNG).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import logging
import os
import random
import sys
import tempfile
from dataclasses import replace

import numpy as np
from scipy.optimize import minimize

from ..config import load_config
from ..matching.calibration import (
    FEATURES,
    MONOTONE,
    Evidence,
    Model,
    Trees,
    expected_calibration_error,
    in_context,
)
from ..matching.engine import SIDE
from ..matching.evidence import gather
from ..matching.settings import EngineSettings
from ..text import prepare_need
from .__main__ import prepare_query_as_patent, task_engine
from .tasks import Task, load_task

log = logging.getLogger("matchmaker.evaluation.calibrate")
HELD_OUT = 0.3
L2 = 1e-4  # 1e-3 held the weights too small: per-task ECE 0.05 on zh_csl_discipline, 0.039 now
# Boosted trees: small trees, many examples per leaf, "basic" monotone constraints (each leaf
# left of a split on evidence is at most each leaf right of it: what ``Trees`` checks on load).
TREE_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 7,
               "min_data_in_leaf": 100, "lambda_l2": 1.0, "monotone_constraints_method": "basic",
               "verbose": -1, "num_threads": 1, "deterministic": True, "seed": 0}
TREE_ROUNDS = 200


def held_out(task: str, qid: str) -> bool:
    digest = hashlib.sha1(f"{task}|{qid}".encode()).digest()
    return digest[0] / 256 < HELD_OUT


def shrink(task: Task, queries: int | None, docs: int | None, seed: int = 0) -> Task:
    """A uniform sample of ``docs`` documents (the share of relevant documents per query stays
    that of the full corpus) and the first ``queries`` queries with a judged document in it."""
    corpus = task.corpus
    if docs and docs < len(corpus):
        keep = set(random.Random(seed).sample(sorted(corpus), docs))
        corpus = {d: v for d, v in corpus.items() if d in keep}
    qrels = {q: {d: g for d, g in rel.items() if d in corpus} for q, rel in task.qrels.items()}
    qids = [q for q in task.queries if qrels.get(q)][:queries or None]
    return Task(task.name, corpus, {q: task.queries[q] for q in qids},
                {q: qrels[q] for q in qids}, task.direction)


def prepare_query(text: str, direction: str):
    """A task's query as the engine sees it: a need, or a patent (direction "patent")."""
    return prepare_need(text) if direction == "need" else prepare_query_as_patent(text)


def examples(task: Task, settings: EngineSettings, top: int) -> dict:
    """Evidence rows, labels and query ids of the first ``top`` candidates of every query (in
    the task's direction; a query's own document, in tasks whose queries come from the corpus,
    is no candidate, as in the evaluation)."""
    doc_ids = list(task.corpus)
    side = SIDE[task.direction]
    labels, owners, raw, texts = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="matchmaker-calib-") as workdir:
        engine, _ = task_engine(task, "hybrid", settings.but(index_dir=workdir))
        for qid, text in task.queries.items():
            query = prepare_query(text, task.direction)
            fused, vectors = engine.retrieve(side, query)
            fused = [item for item in fused if doc_ids[item.id] != qid]
            head = fused[:top]
            positions = {item.id: p for p, item in enumerate(fused, start=1)}
            for item, ev in zip(head, gather(engine, side, query, head, positions,
                                             vectors), strict=True):
                raw.append([ev.primary, np.nan if ev.extra is None else ev.extra, ev.coverage,
                            ev.agreement, ev.rank])
                texts.append(text)
                labels.append(1.0 if task.qrels[qid].get(doc_ids[item.id], 0) > 0 else 0.0)
                owners.append(qid)
    return {"y": np.array(labels), "qid": np.array(owners), "raw": np.array(raw),
            "text": np.array(texts), "direction": np.array(task.direction)}


def query_languages(data: dict, share: float = 0.05) -> set[str]:
    """The languages of at least ``share`` of the queries of the tasks' examples (a handful
    of English abstracts among 3,000 Chinese ones do not make a model fit for English)."""
    counts = collections.Counter(
        prepare_query(str(text), str(part.get("direction", "need"))).language
        for part in data.values() for text in set(part["text"].tolist()))
    total = sum(counts.values())
    return {language for language, n in counts.items() if n >= share * total}


def features(part: dict) -> np.ndarray:
    """The model's feature rows of stored examples: each query's candidates rebuilt as
    ``Evidence`` and put in context (``calibration.in_context``) as the engine does."""
    rows, start = [], 0
    qid, raw, text = part["qid"], part["raw"], part["text"]
    direction = str(part.get("direction", "need"))
    while start < len(qid):
        end = start
        while end < len(qid) and qid[end] == qid[start]:
            end += 1
        query = prepare_query(str(text[start]), direction)
        evidence = [Evidence(primary=float(r[0]), extra=None if np.isnan(r[1]) else float(r[1]),
                             coverage=float(r[2]), agreement=float(r[3]), rank=int(r[4]),
                             language=query.language) for r in raw[start:end]]
        rows.extend(e.vector() for e in in_context(evidence, query.lexical))
        start = end
    return np.array(rows)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted logistic regression with non-negative weights on the monotone features."""
    n_features = x.shape[1]

    def loss(theta):
        z = x @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.sum(w * (np.logaddexp(0, z) - y * z)) / w.sum() + L2 * theta[:-1] @ theta[:-1]
        grad_z = w * (p - y) / w.sum()
        grad = np.append(x.T @ grad_z + 2 * L2 * theta[:-1], grad_z.sum())
        return value, grad

    bounds = [(0.0, None) if FEATURES[i] in MONOTONE else (None, None)
              for i in range(n_features)] + [(None, None)]
    result = minimize(loss, np.zeros(n_features + 1), jac=True, method="L-BFGS-B",
                      bounds=bounds)
    return result.x[:-1], float(result.x[-1])


def fit_trees(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Trees:
    """Boosted trees, monotone (non-decreasing) in the evidence features."""
    import lightgbm

    params = dict(TREE_PARAMS, monotone_constraints=[1 if f in MONOTONE else 0 for f in FEATURES])
    booster = lightgbm.train(params, lightgbm.Dataset(x, y, weight=w / w.mean()),
                             num_boost_round=TREE_ROUNDS)
    return Trees.from_lightgbm(booster.dump_model(), {})


def fit_model(kind: str, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Model | Trees:
    if kind == "trees":
        return fit_trees(x, y, w)
    coef, intercept = fit(x, y, w)
    return Model(tuple(float(c) for c in coef), intercept, {})


def reliability_figure(path: str, table: list[dict], ece: float,
                       per_task: dict[str, list[dict]] | None = None) -> None:
    """The pooled reliability curve (bold) and each task's (thin, with its ECE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=120)
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1)
    for name, (rows, task_ece) in (per_task or {}).items():
        ax.plot([r["predicted"] for r in rows], [r["observed"] for r in rows], marker=".",
                linewidth=0.8, alpha=0.7, label=f"{name} ({task_ece:.3f})")
    ax.plot([r["predicted"] for r in table], [r["observed"] for r in table], marker="o",
            color="black", linewidth=2, label=f"all tasks ({ece:.3f})")
    ax.set_xlabel("predicted P(relevant)")
    ax.set_ylabel("observed share relevant")
    ax.set_title("held-out queries: reliability and ECE")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    data = {}
    if args.examples:  # a new folder is made: the examples of a long run must not be lost at its end
        os.makedirs(args.examples, exist_ok=True)
    for directory in args.task_dirs:
        name = os.path.basename(os.path.normpath(directory))
        saved = os.path.join(args.examples, f"{name}.npz") if args.examples else None
        if saved and os.path.isfile(saved):  # examples of an earlier run, with its sizes
            with np.load(saved, allow_pickle=False) as stored:
                data[name] = {key: stored[key] for key in ("raw", "text", "y", "qid", "docs")}
                # examples saved before directions were kept are need -> patent
                data[name]["direction"] = (stored["direction"] if "direction" in stored.files
                                           else np.array("need"))
            continue
        task = shrink(load_task(directory), args.queries, args.docs)
        log.warning("%s: %d queries, %d documents", task.name, len(task.queries),
                    len(task.corpus))
        data[name] = {**examples(task, settings, args.top), "docs": np.array(len(task.corpus))}
        if saved:
            np.savez(saved, **data[name])
    side = getattr(args, "side", None)
    wrong = [name for name, part in data.items() if side and SIDE[str(part["direction"])] != side]
    if wrong:
        raise SystemExit(f"--side {side}: {', '.join(wrong)} rank other candidates")
    fit_parts, test_parts = [], []
    for name, part in data.items():
        mask = np.array([held_out(name, q) for q in part["qid"]])
        weight = np.full(len(part["y"]), 1.0 / max(int((~mask).sum()), 1))
        x = features(part)
        fit_parts.append((x[~mask], part["y"][~mask], weight[~mask]))
        test_parts.append((name, x[mask], part["y"][mask]))
    x, y, w = (np.concatenate([p[i] for p in fit_parts]) for i in range(3))
    model = fit_model(args.model, x, y, w)
    left_out = {}
    if args.leave_task_out and len(fit_parts) > 1:
        for n, (name, xt, yt) in enumerate(test_parts):
            others = [p for i, p in enumerate(fit_parts) if i != n]
            without = fit_model(args.model, *(np.concatenate([p[i] for p in others])
                                              for i in range(3)))
            left_out[name] = round(expected_calibration_error(without.probability(xt), yt)[0], 4)
    per_task, all_p, all_y, all_w = {}, [], [], []
    for name, xt, yt in test_parts:
        p = model.probability(xt) if len(yt) else np.zeros(0)
        ece, rows = expected_calibration_error(p, yt) if len(yt) else (float("nan"), [])
        per_task[name] = {"held_out_pairs": int(len(yt)), "ece": round(ece, 4), "bins": rows,
                          "mean_predicted": round(float(p.mean()), 4) if len(p) else None,
                          "share_relevant": round(float(yt.mean()), 4) if len(yt) else None}
        all_p.append(p)
        all_y.append(yt)
        all_w.append(np.full(len(yt), 1.0 / max(len(yt), 1)))
    ece, table = expected_calibration_error(np.concatenate(all_p), np.concatenate(all_y),
                                            weights=np.concatenate(all_w))
    manifest = {
        "fitted": dt.date.today().isoformat(),
        "data": {name: {"queries": int(len(set(p["qid"].tolist()))), "pairs": int(len(p["y"])),
                        "documents": int(p["docs"])} for name, p in data.items()},
        "top": args.top, "held_out_share": HELD_OUT, "model": args.model,
        **({"tree_params": TREE_PARAMS, "tree_rounds": TREE_ROUNDS} if args.model == "trees"
           else {"l2": L2}),
        **({"ece_task_left_out": left_out} if left_out else {}),
        "channels": list(settings.encoders) + ["bm25"],
        "ece_held_out": round(ece, 4),
        "ece_held_out_by_task": {k: v["ece"] for k, v in per_task.items()},
        "command": "python -m matchmaker.evaluation.calibrate " + " ".join(sys.argv[1:]),
    }
    if isinstance(model, Trees):
        model.manifest = manifest
    else:
        model = replace(model, manifest=manifest)
    if args.out:
        written = model.to_json()
        if args.side:  # one side's model inside an existing file; the rest stays as it is
            with open(args.out, encoding="utf-8") as fh:
                whole = json.load(fh)
            # the side's model scores only queries in the languages of its data
            written["languages"] = sorted(query_languages(data))
            whole.setdefault("sides", {})[args.side] = written
            written = whole
        with open(args.out, "w", encoding="utf-8") as fh:
            # trees: one line (thousands of numbers); a logistic model: readable
            json.dump(written, fh, ensure_ascii=False,
                      indent=None if isinstance(model, Trees) else 1)
            fh.write("\n")
    if args.figure:
        reliability_figure(args.figure, table, ece,
                           {k: (v["bins"], v["ece"]) for k, v in per_task.items()})
    return {"model": model.to_json() if args.model == "linear" else {"manifest": manifest},
            "held_out": per_task, "ece_held_out": round(ece, 4), "bins": table,
            "ece_task_left_out": left_out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matchmaker.evaluation.calibrate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("task_dirs", nargs="+", help="BEIR task folders (build_tasks.py)")
    parser.add_argument("--queries", type=int, default=None, metavar="N",
                        help="first N judged queries of each task")
    parser.add_argument("--docs", type=int, default=None, metavar="N",
                        help="a uniform sample of N documents per corpus")
    parser.add_argument("--top", type=int, default=20, help="candidates per query (20)")
    parser.add_argument("--model", choices=("trees", "linear"), default="trees",
                        help="boosted trees (default) or logistic")
    parser.add_argument("--leave-task-out", action="store_true",
                        help="also report each task's error when it is left out of the fit")
    parser.add_argument("--examples", default=None, metavar="DIR",
                        help="keep each task's examples here (TASK.npz) and reuse them")
    parser.add_argument("--out", default=None, help="write the model JSON here")
    parser.add_argument("--figure", default=None, help="write the reliability curve PNG here")
    parser.add_argument("--side", choices=sorted(set(SIDE.values()) - {"patents"}), default=None,
                        help="fit the model of this side's candidates (needs: patent -> needs "
                             "tasks) and write it into the existing --out file's sides")
    args = parser.parse_args(argv)
    if args.side and not args.out:
        parser.error("--side writes into an existing calibration file: give it with --out")
    logging.basicConfig(level=os.environ.get("MATCHMAKER_LOG_LEVEL", "WARNING"),
                        stream=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(json.dumps(run(args), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
