"""The learned reranker: LightGBM lambdarank over pair features, saved as text + JSON manifest.

A model lives in ``<INDEX_DIR>/reranker/<version>/``: ``model.txt`` (LightGBM's own text
format; no pickle) and ``manifest.json`` (version, channels, feature names, training window,
row counts, metrics, library versions). ``active.json`` beside the versions names the model the
engine uses and the ones it replaced (for rollback; see ``activation``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .features import direction, names

PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 7,  # small trees, many rows per leaf: a few thousand decisions, noisy ones
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "lambdarank_truncation_level": 20,
    "num_threads": 1,  # the machine's cores are shared; one thread trains 50k rows in seconds
    "deterministic": True,
    "seed": 13,
    "verbose": -1,
}
ROUNDS = 100
MODEL_FILE, MANIFEST_FILE = "model.txt", "manifest.json"


@dataclass
class Group:
    """The labelled candidates of one query: feature rows and grades (0..4)."""

    query: str
    features: np.ndarray
    grades: np.ndarray
    decided_at: str | None = None  # ISO time of the latest decision in the group


@dataclass
class Reranker:
    """A trained model with its manifest."""

    booster: object
    manifest: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Model scores of feature rows (higher is better): the engine's prior plus the trees."""
        if not len(rows):
            return np.zeros(0)
        learned = np.asarray(self.booster.predict(rows, num_threads=1), dtype=np.float64)
        return prior(rows, self.manifest["features"]) + learned

    def order(self, rows: np.ndarray) -> list[int]:
        """Row positions best first; ties keep the engine's order."""
        scores = self.scores(rows)
        return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def prior(rows: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    """The engine's own ranking as the boosting's starting point: logit of the fused score.

    The trees learn corrections to the engine, not a ranking from scratch, so few decisions
    move the order a little and candidates unlike any decided one keep the engine's order.
    """
    fused = np.clip(rows[:, list(feature_names).index("fused")], 1e-4, 1 - 1e-4)
    return np.log(fused / (1 - fused))


def useful(groups: Sequence[Group]) -> list[Group]:
    """Groups that teach a ranking: at least two different grades."""
    return [g for g in groups if len(g.grades) > 1 and np.ptp(g.grades) > 0]


def train(groups: Sequence[Group], channels: Sequence[str], *, window: dict | None = None,
          rounds: int = ROUNDS, params: dict | None = None) -> Reranker:
    """Fit a lambdarank model on labelled groups; raises ValueError when nothing teaches."""
    import lightgbm as lgb  # heavy: imported only where a model is trained or loaded

    groups = useful(groups)
    if not groups:
        raise ValueError("no query has both a positive and a negative decision")
    started = time.perf_counter()
    x = np.vstack([g.features for g in groups])
    y = np.concatenate([g.grades for g in groups]).astype(np.int32)
    feature_names = names(channels)
    data = lgb.Dataset(x, y, group=[len(g.grades) for g in groups],
                       init_score=prior(x, feature_names),
                       feature_name=[_safe(n) for n in feature_names], free_raw_data=True)
    monotone = [direction(n) for n in feature_names]
    booster = lgb.train({**PARAMS, "monotone_constraints": monotone, **(params or {})}, data,
                        num_boost_round=rounds)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    manifest = {
        "version": version,
        "kind": "lightgbm-lambdarank",
        "prior": "logit(fused)",
        "channels": list(channels),
        "features": names(channels),
        "window": window or {},
        "groups": len(groups),
        "rows": int(len(y)),
        "grades": {str(g): int((y == g).sum()) for g in sorted(set(y.tolist()))},
        "rounds": rounds,
        "train_seconds": round(time.perf_counter() - started, 3),
        "metrics": {},
        "libraries": {"lightgbm": lgb.__version__, "numpy": np.__version__},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return Reranker(booster, manifest)


def _safe(name: str) -> str:
    # LightGBM rejects some characters in feature names (JSON special characters).
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


def root(index_dir: str | os.PathLike) -> Path:
    """The folder that holds every reranker version."""
    return Path(index_dir) / "reranker"


def save(model: Reranker, index_dir: str | os.PathLike) -> Path:
    """Write the model and its manifest under ``reranker/<version>/``; returns the folder."""
    folder = root(index_dir) / model.version
    folder.mkdir(parents=True, exist_ok=True)
    model.booster.save_model(str(folder / MODEL_FILE))
    write_json(folder / MANIFEST_FILE, model.manifest)
    return folder


def load(index_dir: str | os.PathLike, version: str) -> Reranker:
    """Read one saved version; raises FileNotFoundError when it is not there."""
    import lightgbm as lgb

    folder = root(index_dir) / version
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    booster = lgb.Booster(model_file=str(folder / MODEL_FILE))
    return Reranker(booster, manifest)


def versions(index_dir: str | os.PathLike) -> list[dict]:
    """Manifests of every saved version, oldest first."""
    out = []
    base = root(index_dir)
    if base.is_dir():
        for folder in sorted(base.iterdir()):
            path = folder / MANIFEST_FILE
            if path.is_file():
                out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (a crash leaves the old file, never half a new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
