"""Cost of the shared-term step of an explanation (not a test; run it by hand).

    .venv/bin/python bench/bench_key_terms.py [--data ../shared/data]

2,000 CSL abstracts (as patents: title + abstract) against the key terms of 200 CSL needs
(title + keywords), ten patents per need: ``key_terms_among`` (only the blocks holding a need
term are cut) against the full ``key_terms`` cut of each patent with cold caches, as a patent
new to the worker pays it. Prints milliseconds per patent.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import load_base  # noqa: E402

from matchmaker.text import (  # noqa: E402
    key_terms,
    key_terms_among,
    prepare_need,
    prepare_patent,
    terms,  # noqa: E402
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    records, needs = load_base(args.data)
    rng = random.Random(1)
    patents = [prepare_patent(r["title"], r["text"]).lexical for r in rng.sample(records, 2000)]
    wanted = [key_terms(prepare_need(n["title"], None, n["keywords"]).lexical)
              for n in rng.sample(needs, 200)]
    started = time.perf_counter()
    for i, need_terms in enumerate(wanted):
        for text in patents[i * 10:(i + 1) * 10]:
            key_terms_among(text, need_terms)
    among = (time.perf_counter() - started) / len(patents) * 1000
    terms.is_term.cache_clear()
    terms._sub_words.cache_clear()
    terms._key_terms.cache_clear()
    started = time.perf_counter()
    for text in patents:
        key_terms(text)
    full = (time.perf_counter() - started) / len(patents) * 1000
    print(f"ms per patent: key_terms_among {among:.2f}, full key_terms (cold) {full:.2f}")


if __name__ == "__main__":
    main()
