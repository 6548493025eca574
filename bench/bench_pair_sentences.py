"""Cost of the pair page's closest sentences (not a test; run it by hand).

    .venv/bin/python bench/bench_pair_sentences.py [--pairs 100]

The pair page ranks a window of each of the patent's sentences against the need
(``Engine.pair_sentences``) instead of the single pre-selected one a stored explanation holds.
Pairs: a CSL paper (title + keywords as the need, its own abstract as the patent) from
../shared/data, the USE encoder on ``MATCHMAKER_ENCODER_THREADS`` threads (default 1). Prints
p50/p95 uncached (a fresh patent) and cached (the same patent viewed again). Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import load_base  # noqa: E402

from matchmaker.encoders import get_encoder  # noqa: E402
from matchmaker.matching.channels import DenseChannel  # noqa: E402
from matchmaker.matching.engine import Engine  # noqa: E402
from matchmaker.matching.explain import SentenceCache  # noqa: E402
from matchmaker.text import prepare_need  # noqa: E402


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--pairs", type=int, default=100)
    args = parser.parse_args()
    records, needs = load_base(Path(args.data))
    threads = int(os.environ.get("MATCHMAKER_ENCODER_THREADS", "1"))
    encoder = get_encoder("use-multilingual", models_dir=str(ROOT / "models"), threads=threads)
    engine = Engine([DenseChannel(encoder, {})], None)
    encoder.encode(["预热"])  # load the model outside the timings
    cache = SentenceCache(encoder)
    cold, warm, shown = [], [], []
    for record, need in list(zip(records, needs, strict=False))[:args.pairs]:
        query = prepare_need(need["title"], "", need["keywords"], None)
        started = time.perf_counter()
        found = engine.pair_sentences(query, record["text"], None, cache=cache)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        engine.pair_sentences(query, record["text"], None, cache=cache)
        warm.append((time.perf_counter() - started) * 1000)
        shown.append(len(found))
    print(f"pairs {len(cold)}, encoder threads {threads}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"sentences shown {statistics.mean(shown):.2f} on average")
    print("| case | p50 ms | p95 ms |\n|---|---|---|")
    print(f"| uncached patent | {statistics.median(cold):.1f} | {p95(cold):.1f} |")
    print(f"| cached patent | {statistics.median(warm):.1f} | {p95(warm):.1f} |")


if __name__ == "__main__":
    main()
