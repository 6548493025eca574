"""A small synthetic benchmark for the learning tests: one telling channel, one noisy one."""

from __future__ import annotations

import math
import random


def synthetic_dump(queries: int = 80, candidates: int = 30, seed: int = 5) -> dict:
    """Candidates whose fused score leans on a noisy channel; "good" knows the relevant ones."""
    rng = random.Random(seed)
    dump = {"task": "synthetic", "channels": ["good", "noisy"], "documents": {},
            "qrels": {}, "queries": {}}
    for q in range(queries):
        qid = f"q{q}"
        items = []
        for c in range(candidates):
            doc = f"d{q}-{c}"
            relevant = rng.random() < 0.25
            good = (1.0 if relevant else 0.0) + rng.gauss(0, 0.3)
            noisy = rng.gauss(0, 1)
            fused = 1 / (1 + math.exp(-(0.3 * good + noisy)))
            items.append({"id": doc, "score": fused, "channels": {
                "good": {"score": good, "rank": None}, "noisy": {"score": noisy, "rank": None}}})
            dump["documents"][doc] = {"length": 100 + c}
            if relevant:
                dump["qrels"].setdefault(qid, {})[doc] = 1
        items.sort(key=lambda i: -i["score"])
        for name in ("good", "noisy"):
            by = sorted(items, key=lambda i, n=name: -i["channels"][n]["score"])
            for rank, item in enumerate(by, start=1):
                item["channels"][name]["rank"] = rank
        if qid in dump["qrels"]:
            dump["queries"][qid] = {"text": f"query {q}", "candidates": items}
    return dump
