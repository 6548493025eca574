"""How far apart the demo's bilingual twins are in the multilingual (USE) space.

Run: PYTHONPATH=. .venv/bin/python bench/twin_cosines.py

For each English demo patent: the cosine with its nearest Chinese patent (the twin, when it has
one) and with the second nearest; and, among the Chinese patents, each one's nearest distinct
neighbour. A look-alike threshold on cosine alone must stay above the neighbours.
"""

from __future__ import annotations

import os

import numpy as np

from matchmaker.demo.content import PATENTS
from matchmaker.encoders.factory import get_encoder


def main() -> None:
    encoder = get_encoder("use-multilingual",
                          models_dir=os.environ.get("MATCHMAKER_MODELS_DIR", "models"), threads=1)
    vectors = encoder.encode([f"{p.title}。{p.abstract}" for p in PATENTS])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = vectors @ vectors.T
    english = [i for i, p in enumerate(PATENTS) if not p.number.startswith("CN")]
    chinese = [i for i, p in enumerate(PATENTS) if p.number.startswith("CN")]
    print(f"{len(english)} English, {len(chinese)} Chinese demo patents")
    seconds = []
    for i in english:
        best, second = sorted(chinese, key=lambda j: -sims[i, j])[:2]
        seconds.append(sims[i, second])
        same = PATENTS[i].owner == PATENTS[best].owner
        print(f"{PATENTS[i].number} -> {PATENTS[best].number} (same owner: {same}) "
              f"best {sims[i, best]:.3f} second {sims[i, second]:.3f}")
    nearest = np.array([max(sims[i, j] for j in chinese if j != i) for i in chinese])
    print(f"en-zh second best: max {max(seconds):.3f}, median {np.median(seconds):.3f}")
    print(f"zh-zh nearest distinct: max {nearest.max():.3f}, p90 {np.quantile(nearest, 0.9):.3f}, "
          f"median {np.median(nearest):.3f}")


if __name__ == "__main__":
    main()
