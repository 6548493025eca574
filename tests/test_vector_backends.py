"""Where dense collections live: the backend chosen by setting (FAISS files or Milvus), and
FAISS bases shared by the processes of one machine (memory-mapped, read-only)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from matchmaker.config import load_config
from matchmaker.errors import IndexUnusable
from matchmaker.evaluation.__main__ import main as evaluate_main
from matchmaker.indexing import CollectionStore, dense_store
from matchmaker.indexing.dense.factory import DenseBackend, MilvusBackend
from matchmaker.indexing.dense.faiss_flat import ReadOnlyIndex
from matchmaker.matching.builder import build_engine
from matchmaker.matching.settings import EngineSettings
from tests.milvus_lite import lite_uri

TINY = Path(__file__).resolve().parent / "fixtures" / "beir_tiny"
DIM = 32


class FakeEncoder:
    name, version, dim = "fake", "1", DIM


def unit(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_the_backend_and_the_milvus_uri_come_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_VECTOR_BACKEND", "milvus")
    monkeypatch.setenv("MATCHMAKER_ENCODER", "fake")
    monkeypatch.setenv("MATCHMAKER_EXTRA_ENCODERS", "")
    monkeypatch.setenv("MATCHMAKER_INDEX_DIR", str(tmp_path / "indexes"))
    settings = EngineSettings.from_config(load_config(str(tmp_path / "instance")))
    assert settings.vector_backend == "milvus" and settings.milvus_uri == ""
    store = build_engine(settings).dense[0].stores["patents"]
    assert isinstance(store.backend, MilvusBackend)
    assert store.backend.uri == str(tmp_path / "indexes" / "milvus.db")  # Milvus Lite default
    monkeypatch.setenv("MATCHMAKER_MILVUS_URI", "http://milvus.internal:19530")
    settings = EngineSettings.from_config(load_config(str(tmp_path / "instance")))
    assert build_engine(settings).dense[0].stores["needs"].backend.uri == \
        "http://milvus.internal:19530"
    faiss = build_engine(settings.but(vector_backend="faiss")).dense[0].stores["patents"]
    assert type(faiss.backend) is DenseBackend


def test_a_collection_saved_by_another_backend_is_refused_not_misread(tmp_path):
    faiss = dense_store(tmp_path, "patents", FakeEncoder, backend="faiss")
    index = faiss.new_index(3)
    index.add(np.arange(3), unit(3))
    faiss.save(index)
    milvus = dense_store(tmp_path, "patents", FakeEncoder, backend="milvus",
                         milvus_uri=lite_uri())
    with pytest.raises(IndexUnusable) as err:
        milvus.get()
    assert err.value.reason == "mismatch"
    index = milvus.new_index(3)
    index.add(np.arange(3), unit(3))
    milvus.save(index)  # the rebuild the error asks for
    assert milvus.reload().search(unit(3)[:1], 1)[1][0, 0] == 0
    with pytest.raises(IndexUnusable) as err:
        dense_store(tmp_path, "patents", FakeEncoder, backend="faiss").get()
    assert err.value.reason == "mismatch"


def _evaluate(capsys, monkeypatch, backend: str) -> dict:
    monkeypatch.setenv("MATCHMAKER_VECTOR_BACKEND", backend)
    assert evaluate_main([str(TINY), "--json", "--encoder", "fake", "--extra-encoders", "",
                          "--no-cache"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_evaluation_names_its_backend_and_milvus_ranks_like_faiss(capsys, monkeypatch):
    faiss = _evaluate(capsys, monkeypatch, "faiss")
    milvus = _evaluate(capsys, monkeypatch, "milvus")
    assert faiss["vector_backend"] == "faiss" and milvus["vector_backend"] == "milvus"
    assert milvus["ndcg@10"] > 0
    for metric in ("ndcg@10", "mrr@10", "recall@100"):
        assert milvus[metric] == pytest.approx(faiss[metric], abs=1e-6), metric


def flat_store(root, kind: str, mmap: bool = True) -> CollectionStore:
    backend = DenseBackend(DIM, exact_limit=1 if kind == "hnsw" else 10**9, threads=1)
    return CollectionStore(root, "patents-fake", backend=backend, identity=("fake", "1", DIM),
                           mmap=mmap)


def mapped_files() -> set[str]:
    """Paths of the files this process has mapped."""
    with open("/proc/self/maps") as fh:
        return {line.split()[-1] for line in fh if len(line.split()) >= 6}


def _search_in_child(root, kind, queries, answers):
    store = flat_store(root, kind)
    scores, ids = store.get().search(queries, 5)
    answers.put((ids.tolist(), str(store.directory / "index.faiss") in mapped_files()))


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_workers_share_one_read_only_mapped_copy(tmp_path, kind):
    build = flat_store(tmp_path, kind, mmap=False)
    index = build.new_index(400)
    index.add(np.arange(400) * 7, unit(400))
    build.save(index)
    queries = unit(4, seed=3)
    ctx = multiprocessing.get_context("spawn")  # as a fresh gunicorn worker would
    answers = ctx.Queue()
    children = [ctx.Process(target=_search_in_child, args=(tmp_path, kind, queries, answers))
                for _ in range(2)]
    for child in children:
        child.start()
    results = [answers.get(timeout=120) for _ in children]
    for child in children:
        child.join(60)
    reader = flat_store(tmp_path, kind)
    view = reader.get()
    assert str(reader.directory / "index.faiss") in mapped_files()  # mapped, not copied
    expected = view.search(queries, 5)[1].tolist()
    assert results == [(expected, True), (expected, True)]
    base = view.base
    assert base.mapped
    with pytest.raises(ReadOnlyIndex):
        base.add(np.array([1]), unit(1))
    with pytest.raises(ReadOnlyIndex):
        base.remove([0])
    # changes still work: they go through the log, and compaction reads an unmapped copy
    reader.add([5000], unit(1, seed=9))
    reader.remove([0])
    assert reader.compact().count == 400
    assert reader.fresh().search(unit(1, seed=9), 1)[1][0, 0] == 5000


def test_a_milvus_rebuild_makes_a_new_collection_and_drops_the_one_before_last(tmp_path):
    store = dense_store(tmp_path, "patents", FakeEncoder, backend="milvus",
                        milvus_uri=lite_uri())
    names = []
    for generation in range(3):
        index = store.new_index(3)
        index.add(np.arange(3) + 10 * generation, unit(3, seed=generation))
        names.append(store.save(index).extras["milvus_collection"])
    client = store.get().base.client
    assert len(set(names)) == 3
    assert not client.has_collection(names[0])  # two generations back: dropped
    assert client.has_collection(names[1])  # the previous: readers may still search it
    reopened = dense_store(tmp_path, "patents", FakeEncoder, backend="milvus",
                           milvus_uri=lite_uri())
    assert sorted(reopened.get().ids().tolist()) == [20, 21, 22]


def test_a_mapped_bm25_matrix_is_the_file_not_a_copy(tmp_path):
    from matchmaker.indexing.sparse.bm25 import BM25Index

    index = BM25Index()
    index.add_terms((i, [f"t{j}" for j in range(i % 30, i % 30 + 12)]) for i in range(500))
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path, mmap=True)
    weights, files = loaded._weights, loaded._frozen
    for part, name in ((weights.indices, "w_indices"), (weights.indptr, "w_indptr"),
                       (weights.data, "w_data")):
        assert np.shares_memory(part, files[name]), name  # scipy kept the mapped arrays
    assert loaded.search("t3 t5", 5)[0].tolist() == index.search("t3 t5", 5)[0].tolist()
