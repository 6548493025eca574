"""Benchmark the learning loop (not a test; run it by hand, with ``nice``).

    nice .venv/bin/python bench/learning_candidates.py /tmp/tasks/zh_csl_discipline \
        bench/out/zh_csl_discipline.candidates.json        # once: the engine's candidates
    nice .venv/bin/python bench/bench_learning.py curve bench/out/zh_csl_discipline.candidates.json
    nice .venv/bin/python bench/bench_learning.py timing

``curve``: the simulated broker (matchmaker.learning.simulate) works the task's queue with 10 %
noise and 10 % non-relevance reasons, the platform retrains every 250 decisions and activates a
model only when the activation rule allows; nDCG@10 on held-out queries against the number of
decisions goes to bench/RESULTS.md (table) and bench/figures/learning-<task>.png.
``timing``: training on 50,000 synthetic decisions (5,000 needs x 10 shown candidates, the
production feature width) and the reranking cost per query (features of 50 candidates + the
model) at p50 / p95.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.learning import features, reranker, simulate  # noqa: E402
from matchmaker.matching.engine import Ranked  # noqa: E402

FIGURES = ROOT / "bench" / "figures"
CHANNELS = ["use-multilingual", "sentence-transformers:all-MiniLM-L6-v2", "bm25"]


def write_section(name: str, text: str) -> None:
    """Replace this script's section ``name`` of bench/RESULTS.md."""
    start, end = f"<!-- bench_learning:{name}:start -->", f"<!-- bench_learning:{name}:end -->"
    text = f"{start}\n{text}\n{end}"
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8")
    if start in old and end in old:
        new = old[:old.index(start)] + text + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def curve(args) -> None:
    dump = json.loads(Path(args.candidates).read_text(encoding="utf-8"))
    config = simulate.SimConfig(decisions=args.decisions, retrain_every=args.retrain_every,
                                noise=args.noise)
    started = time.perf_counter()
    result = simulate.run(dump, config, on_point=lambda p: print(
        f"{p['decisions']} decisions: active {p['test_ndcg']}, newest {p['candidate_ndcg']}, "
        f"{p['verdict']['reason']}", file=sys.stderr, flush=True))
    seconds = time.perf_counter() - started
    task = dump["task"]
    # the measure is 2,000 decisions; longer runs get their own section and chart
    name = task if args.decisions == 2000 else f"{task}-{args.decisions}"
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / f"learning-{name}.json").write_text(
        json.dumps(result, indent=2), encoding="utf-8")
    rows = ["| decisions | nDCG@10 active ranking | nDCG@10 newest model | activation |",
            "|---:|---:|---:|---|"]
    for point in result["curve"]:
        verdict = point["verdict"] or {}
        newest = point["candidate_ndcg"]
        newest = "" if newest is None else f"{newest:.4f}"
        rows.append(f"| {point['decisions']} | {point['test_ndcg']:.4f} | {newest} | "
                    f"{verdict.get('reason', 'unlearned engine')} |")
    q = result["queries"]
    text = (f"### Learning curve: {task}, {args.decisions:,} decisions "
            f"(`bench/bench_learning.py curve`)\n\n"
            f"{datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()}; "
            f"queries: {q['queue']} in the broker's queue, {q['validation']} validation "
            f"(the activation rule's benchmark), {q['test']} held out (this table); noise "
            f"{config.noise:.0%}, non-relevance reasons {config.other_reasons:.0%}, retrain "
            f"every {config.retrain_every} decisions; activation: paired per-query gain, margin "
            f"{config.margin} and a one-sided 95 % bound (judge.decide), activated models "
            f"refitted on all decisions. Unlearned "
            f"{result['baseline']:.4f}, after {result['decisions']} decisions "
            f"{result['final']:.4f} ({result['gain']:+.1%}); {seconds:.0f} s.\n"
            f"Chart: `bench/figures/learning-{name}.png`.\n\n" + "\n".join(rows))
    print(text)
    plot(result, task, name)
    if not args.no_write:
        write_section(name, text)


def plot(result: dict, task: str, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [p["decisions"] for p in result["curve"]]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ax.plot(xs, [p["test_ndcg"] for p in result["curve"]], marker="o",
            label="active ranking (activation rule)")
    newest = [(p["decisions"], p["candidate_ndcg"]) for p in result["curve"]
              if p["candidate_ndcg"] is not None]
    if newest:
        ax.plot(*zip(*newest, strict=True), linestyle="--", marker="x",
                label="newest model (not always activated)")
    ax.axhline(result["baseline"], color="grey", linewidth=1, label="unlearned engine")
    ax.set_xlabel("broker decisions")
    ax.set_ylabel("nDCG@10, held-out queries")
    ax.set_title(f"Learning from a simulated broker: {task}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / f"learning-{name}.png")


def timing(args) -> None:
    rng = np.random.default_rng(7)
    width = len(features.names(CHANNELS))
    groups = []
    for g in range(args.decisions // 10):
        x = rng.normal(size=(10, width))
        x[:, features.names(CHANNELS).index("fused")] = rng.uniform(0.3, 0.99, 10)
        grades = (x[:, 0] + rng.normal(0, 1, 10) > 0.5).astype(int) * 2
        groups.append(reranker.Group(str(g), x, grades))
    started = time.perf_counter()
    model = reranker.train(groups, CHANNELS)
    train_seconds = time.perf_counter() - started
    items = [Ranked(i, 0.9 - i / 100, i + 1, 0.9 - i / 100,
                    {c: {"score": 0.5 - i / 200, "rank": i + 1} for c in CHANNELS},
                    [{"rule": "same_region", "delta": 0.03}]) for i in range(args.depth)]
    contexts = [features.Context(ipc=("H01F 1/057",), length=300, accepted=1)
                for _ in items]
    times = []
    for _ in range(args.queries):
        started = time.perf_counter()
        model.order(features.matrix(items, CHANNELS, contexts))
        times.append(1000 * (time.perf_counter() - started))
    p50, p95 = np.percentile(times, [50, 95])
    text = (f"### Retraining and reranking cost (`bench/bench_learning.py timing`)\n\n"
            f"{datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()}, "
            f"one thread, machine shared with other jobs.\n\n"
            f"| what | figure |\n|---|---:|\n"
            f"| training on {args.decisions:,} decisions ({len(groups):,} needs, {width} "
            f"features, {reranker.ROUNDS} rounds) | {train_seconds:.1f} s |\n"
            f"| reranking {args.depth} candidates per query (features + model), p50 | "
            f"{p50:.2f} ms |\n"
            f"| same, p95 over {args.queries} queries | {p95:.2f} ms |")
    print(text)
    if not args.no_write:
        write_section("timing", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("curve")
    c.add_argument("candidates")
    c.add_argument("--decisions", type=int, default=2000)
    c.add_argument("--retrain-every", type=int, default=250)
    c.add_argument("--noise", type=float, default=0.1)
    c.add_argument("--no-write", action="store_true")
    t = sub.add_parser("timing")
    t.add_argument("--decisions", type=int, default=50_000)
    t.add_argument("--depth", type=int, default=50)
    t.add_argument("--queries", type=int, default=1000)
    t.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    curve(args) if args.command == "curve" else timing(args)


if __name__ == "__main__":
    main()
