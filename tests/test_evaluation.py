"""``python -m matchmaker.evaluation`` on a tiny BEIR task, and the metrics it reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matchmaker.evaluation.__main__ import main
from matchmaker.evaluation.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k
from matchmaker.evaluation.tasks import load_task

TINY = Path(__file__).parent / "fixtures" / "beir_tiny"
KEYS = {"ndcg@10", "mrr@10", "recall@100", "queries", "documents", "index_seconds",
        "ms_per_query", "channels", "task"}


def _run(capsys, *args) -> dict:
    assert main([str(TINY), "--json", "--encoder", "fake", "--extra-encoders", "", "--no-cache",
                 *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_by_hand():
    relevant = {"a": 1, "b": 1}
    assert mrr_at_k(["x", "b", "a"], relevant) == 0.5
    assert recall_at_k(["x", "b"], relevant) == 0.5
    assert ndcg_at_k(["a", "b"], relevant) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a": 1}) == pytest.approx(1 / 1.5849625, abs=1e-6)
    assert mrr_at_k(["x"] * 10 + ["a"], {"a": 1}) == 0.0  # beyond the cut-off
    result = evaluate({"q1": ["a"], "q2": ["x"]}, {"q1": {"a": 1}, "q2": {"b": 1}})
    assert result["mrr@10"] == 0.5 and result["judged_queries"] == 2


def test_load_task_reads_the_beir_layout():
    task = load_task(TINY)
    assert len(task.corpus) == 12 and len(task.queries) == 6
    assert task.qrels["q4"] == {"d1": 1, "d2": 1}
    assert len(load_task(TINY, limit_queries=2).queries) == 2


@pytest.mark.parametrize("channels", ["lexical", "dense", "hybrid"])
def test_command_prints_the_contract_keys(capsys, channels):
    result = _run(capsys, "--channels", channels)
    assert KEYS <= set(result)
    assert result["task"] == "beir_tiny" and result["queries"] == 6 and result["documents"] == 12
    for key in ("ndcg@10", "mrr@10", "recall@100"):
        assert 0.0 <= result[key] <= 1.0
    assert result["index_seconds"] >= 0 and result["ms_per_query"] > 0
    expected = {"lexical": ["bm25"], "dense": ["fake"], "hybrid": ["fake", "bm25"]}[channels]
    assert result["channels"] == expected
    if channels != "lexical":  # BM25 lists only documents sharing a term with the query
        assert result["recall@100"] == 1.0  # 12 documents: all of them fit in the top 100


def test_lexical_finds_the_exact_term_document(capsys):
    result = _run(capsys, "--channels", "lexical", "--limit-queries", "3")
    assert result["mrr@10"] == 1.0 and result["queries"] == 3


def test_runs_as_a_module_and_rejects_a_missing_task(tmp_path):
    env = dict(os.environ, MATCHMAKER_ENCODER="fake", MATCHMAKER_EXTRA_ENCODERS="",
               MATCHMAKER_EVAL_CACHE=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "matchmaker.evaluation", str(TINY), "--json",
                           "--channels", "hybrid"], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["channels"] == ["fake", "bm25"]  # channels from the environment's config
    assert list((tmp_path / "cache").rglob("*.npy"))  # corpus vectors were cached
    missing = subprocess.run([sys.executable, "-m", "matchmaker.evaluation",
                              str(tmp_path / "nothing"), "--json"], capture_output=True,
                             text=True, env=env, timeout=120, check=False)
    assert missing.returncode == 2 and "corpus.jsonl" in missing.stderr
