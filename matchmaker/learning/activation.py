"""Training from the pipeline's decisions, safe activation, and rollback.

A new model is trained on the older decisions and judged on the later ones (the newest
``HOLDBACK`` share, decided after its training window) and on the benchmark tasks whose stored
candidates are configured (``RERANK_BENCHMARKS``), query by query against the current ranking
(the active model, or the engine's own order): the rule is ``judge.decide``. A model that
passes is fitted again on every decision and that fit becomes active; one that fails is kept
on disk and the report says why. ``active.json`` names the active version
and the ones it replaced, so ``rollback`` restores the previous ranking in one step.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..reasons import reason
from . import reranker as R
from .judge import Paired, decide, ndcgs

log = logging.getLogger(__name__)

ACTIVE_FILE = "active.json"
HOLDBACK = 0.2  # newest share of the decisions kept out of training to judge the model


class NotEnoughDecisions(ValueError):
    """Too few labelled decisions to train or to judge a model."""


def state(index_dir: str | os.PathLike) -> dict:
    """``{"active": version or None, "previous": [older versions, newest last], "log": [...]}``."""
    path = R.root(index_dir) / ACTIVE_FILE
    if not path.is_file():
        return {"active": None, "previous": [], "log": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_state(index_dir, data: dict) -> None:
    R.write_json(R.root(index_dir) / ACTIVE_FILE, data)


def _note(data: dict, action: str, version: str | None, **extra) -> None:
    data.setdefault("log", []).append({"at": datetime.now(UTC).isoformat(timespec="seconds"),
                                       "action": action, "version": version, **extra})


def activate(index_dir, version: str, verdict: dict | None = None) -> dict:
    """Make ``version`` the active model; the one it replaces can be rolled back to."""
    R.load(index_dir, version)  # refuse a version that cannot be read
    data = state(index_dir)
    if data.get("active") and data["active"] != version:
        data.setdefault("previous", []).append(data["active"])
    data["active"] = version
    _note(data, "activate", version, verdict=verdict)
    _write_state(index_dir, data)
    return data


def rollback(index_dir) -> str | None:
    """Return to the ranking before the active model; returns the version now active."""
    data = state(index_dir)
    if data.get("active") is None:
        raise ValueError("no active model to roll back")
    dropped = data["active"]
    data["active"] = data["previous"].pop() if data.get("previous") else None
    _note(data, "rollback", data["active"], dropped=dropped)
    _write_state(index_dir, data)
    return data["active"]


def active_model(index_dir) -> R.Reranker | None:
    """The active model, or None (the engine ranks as it always did)."""
    version = state(index_dir).get("active")
    return R.load(index_dir, version) if version else None


def judge_on_groups(model: R.Reranker | None, groups: Sequence[R.Group]) -> list[float]:
    """nDCG@10 per labelled group; None ranks in the stored (engine) order."""
    orders = [list(range(len(g.grades))) if model is None else model.order(g.features)
              for g in groups]
    return ndcgs(orders, [g.grades for g in groups])


def judge_on_benchmarks(model: R.Reranker | None, dumps: Sequence[dict]) -> list[float]:
    """nDCG@10 per judged query of the stored benchmark candidates (all tasks in turn)."""
    from .simulate import World

    values: list[float] = []
    for dump in dumps:
        world = World(dump)
        values += world.ndcgs(list(world.queries), model, [])
    return values


def load_benchmarks(paths: Sequence[str]) -> list[dict]:
    """Stored benchmark candidates (``bench/learning_candidates.py`` output)."""
    return [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths if p]


def train_and_judge(rows: list[dict], make_groups, channels: list[str], index_dir, *,
                    margin: float, min_decisions: int, benchmarks: Sequence[dict] = (),
                    min_groups: int = 5) -> dict:
    """Train on older decisions, judge on later ones and benchmarks, activate if better.

    ``rows`` are labelled pairs oldest first (``dataset.labelled``); ``make_groups`` turns
    rows into training groups. Returns the report (version, verdict, metrics).
    """
    rows = [r for r in rows if r["grade"] is not None]
    if len(rows) < min_decisions:
        raise NotEnoughDecisions(reason("%(n)d labelled decisions, %(needed)d needed",
                                        n=len(rows), needed=min_decisions))
    cut = int(len(rows) * (1 - HOLDBACK))
    older, later = rows[:cut], rows[cut:]
    window = {"from": older[0]["decided_at"], "until": older[-1]["decided_at"],
              "decisions": len(older)}
    model = R.train(make_groups(older), channels, window=window)
    current = active_model(index_dir)
    if current is not None and current.manifest["features"] != model.manifest["features"]:
        current = None  # channels changed since: the engine's order is what serves
    judged = R.useful(make_groups(later))
    bench = None
    if benchmarks:
        bench = Paired.of(judge_on_benchmarks(current, benchmarks),
                          judge_on_benchmarks(model, benchmarks))
    verdict = decide(Paired.of(judge_on_groups(current, judged), judge_on_groups(model, judged)),
                     margin, min_groups, bench)
    model.manifest["metrics"] = verdict.as_dict()
    R.save(model, index_dir)
    if verdict.activate:
        # judged on the later decisions, the model is fitted again on all of them: the newest
        # decisions are the most telling ones to leave out of the model that serves
        served = R.train(make_groups(rows), channels, window={
            "from": rows[0]["decided_at"], "until": rows[-1]["decided_at"],
            "decisions": len(rows)})
        served.manifest["metrics"] = {**verdict.as_dict(), "judged_version": model.version}
        R.save(served, index_dir)
        activate(index_dir, served.version, verdict.as_dict())
        model = served
    else:
        data = state(index_dir)
        _note(data, "kept", model.version, verdict=verdict.as_dict())
        _write_state(index_dir, data)
    log.info("reranker %s: %s", model.version, verdict.reason)
    return {"version": model.version, **verdict.as_dict(), "window": window}
