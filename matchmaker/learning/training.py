"""Training the reranker from the stored decisions: one function for the command and the job."""

from __future__ import annotations

from flask import current_app

from .activation import NotEnoughDecisions, load_benchmarks, train_and_judge
from .dataset import groups, labelled

__all__ = ["NotEnoughDecisions", "train_from_decisions"]


def train_from_decisions() -> dict:
    """Train on every labelled decision; activate only if the model beats the current ranking.

    Raises NotEnoughDecisions (or ValueError) when there is too little to learn from: the
    engine then keeps ranking as before. Returns the training report (version, metrics,
    ``activate`` and its ``reason``).
    """
    from ..services.matching import engine

    config = current_app.config
    channels = [c.name for c in engine().channels()]
    return train_and_judge(
        list(labelled()), lambda rows: groups(rows, channels), channels, config["INDEX_DIR"],
        margin=config["RERANK_MARGIN"], min_decisions=config["RERANK_MIN_DECISIONS"],
        benchmarks=load_benchmarks(config["RERANK_BENCHMARKS"]))
