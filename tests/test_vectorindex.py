"""Contract tests run against every index backend (FAISS flat and HNSW, Milvus Lite FLAT and
HNSW), checked against brute-force numpy search."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.indexing import (
    PAD_ID,
    FlatIndex,
    HNSWIndex,
    build_index,
    index_class,
)
from matchmaker.indexing.dense.milvus import MilvusIndex
from tests.milvus_lite import lite_uri

DIM = 64
KINDS = ["flat", "hnsw", "milvus", "milvus-hnsw"]
EXACT = {"flat", "milvus"}  # exact search: the brute-force ranking itself


def clustered(n: int, dim: int = DIM, *, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around topic centres, shaped like text embeddings rather than uniform noise.

    Topics have their own spread, and variance decays over dimensions (a few directions carry
    most of it, as in real sentence embeddings). The topic centres come from a fixed seed so
    queries drawn with another ``seed`` share the data's topics.
    """
    centres = np.random.default_rng(12345).standard_normal((clusters, dim))
    spectrum = 1.0 / np.sqrt(np.arange(1, dim + 1))
    rng = np.random.default_rng(seed)
    spread = np.random.default_rng(54321).uniform(0.6, 1.4, clusters)
    topic = rng.integers(0, clusters, n)
    noise = rng.standard_normal((n, dim)) * spread[topic, None]
    x = (centres[topic] + noise) * spectrum
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def primary_keys(n: int, seed: int = 1) -> np.ndarray:
    """Sparse, large, shuffled ids so positional ids could never pass for them."""
    rng = np.random.default_rng(seed)
    return rng.choice(np.arange(10**9, 10**9 + 50 * n, dtype=np.int64), n, replace=False)


def brute_force(data: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int):
    scores = queries @ data.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), ids[order]


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    pairs = zip(found, truth, strict=True)
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in pairs]))


def make(kind: str, dim: int = DIM):
    if kind.startswith("milvus"):
        return MilvusIndex.create(dim, uri=lite_uri(), prefix="contract",
                                  index_type="HNSW" if kind.endswith("hnsw") else "FLAT")
    # exact_limit=1 forces the approximate backend exactly as production would pick it.
    return build_index(dim, 10, exact_limit=1 if kind != "flat" else 10**9)


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.fixture
def filled(kind):
    data, ids = clustered(3000), primary_keys(3000)
    index = make(kind)
    index.add(ids, data)
    return index, data, ids


def test_factory_picks_backend_by_size():
    assert isinstance(build_index(DIM, 99, exact_limit=100), FlatIndex)
    assert build_index(DIM, 100, exact_limit=100).kind == "hnsw"
    assert index_class("hnsw") is HNSWIndex
    with pytest.raises(ValueError, match="unknown index type"):
        index_class("annoy")


def test_search_matches_brute_force(filled, kind):
    index, data, ids = filled
    queries = clustered(200, seed=7)
    scores, found = index.search(queries, 10)
    true_scores, truth = brute_force(data, ids, queries, 10)
    assert found.dtype == np.int64 and scores.dtype == np.float32
    assert found.shape == scores.shape == (200, 10)
    assert np.all(np.diff(scores, axis=1) <= 1e-6), "best first"
    # Whatever is returned carries its true cosine, and the ids are the primary keys given.
    lookup = dict(zip(ids.tolist(), range(len(ids)), strict=True))
    rows = np.vectorize(lookup.__getitem__)(found)
    expected = np.einsum("qd,qkd->qk", queries, data[rows])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    recall = recall_at(found, truth)
    if kind in EXACT:
        np.testing.assert_allclose(scores, true_scores, atol=1e-5)
        assert recall > 0.999
    else:
        assert recall >= 0.95, f"recall@10 {recall:.3f}"


def test_recall_holds_with_many_tombstones(filled, kind):
    index, data, ids = filled
    gone = np.arange(0, len(ids), 3)  # every third vector deleted, graph nodes stay behind
    index.remove(ids[gone])
    keep = np.setdiff1d(np.arange(len(ids)), gone)
    queries = clustered(200, seed=8)
    _, truth = brute_force(data[keep], ids[keep], queries, 10)
    _, found = index.search(queries, 10)
    assert recall_at(found, truth) >= 0.95
    assert not set(found.ravel().tolist()) & set(ids[gone].tolist())


def test_search_restores_thread_setting(filled, kind):
    import faiss

    index, data, _ = filled
    if kind.startswith("milvus"):
        pytest.skip("FAISS's OpenMP setting: Milvus searches in its own server")
    faiss.omp_set_num_threads(2)
    index.search(data[:1], 5)
    assert faiss.omp_get_max_threads() == 2


def test_ids_are_the_given_primary_keys(filled):
    index, _, ids = filled
    assert len(index) == len(ids)
    assert sorted(index.ids().tolist()) == sorted(ids.tolist())


def test_upsert_replaces_the_vector(filled):
    index, data, ids = filled
    target = int(ids[5])
    new_vector = data[2000:2001]
    index.add(np.array([target]), new_vector)
    assert len(index) == len(ids)
    scores, found = index.search(new_vector, 3)
    assert target in found[0].tolist()
    assert int(ids[2000]) in found[0].tolist()
    # The old vector is gone: searching for it must not return the id at score ~1.
    scores, found = index.search(data[5:6], 1)
    assert not (found[0, 0] == target and scores[0, 0] > 0.9999)


def test_duplicate_ids_in_one_call_keep_the_last(kind):
    index = make(kind)
    vectors = clustered(3, seed=3)
    index.add(np.array([7, 7, 8]), vectors)
    assert len(index) == 2
    _, found = index.search(vectors[1:2], 1)
    assert found[0, 0] == 7


def test_remove(filled):
    index, data, ids = filled
    gone = ids[:100]
    assert index.remove(gone.tolist() + [12345]) == 100
    assert index.remove(gone.tolist()) == 0
    assert len(index) == len(ids) - 100
    _, found = index.search(data[:100], 10)
    assert not set(found.ravel().tolist()) & set(gone.tolist())
    assert set(index.ids().tolist()) == set(ids[100:].tolist())
    # Re-adding a removed id brings it back.
    index.add(gone[:1], data[:1])
    _, found = index.search(data[:1], 1)
    assert found[0, 0] == gone[0]


def test_empty_index_pads(kind):
    index = make(kind)
    scores, found = index.search(clustered(2), 5)
    assert found.shape == (2, 5) and (found == PAD_ID).all()
    assert np.isneginf(scores).all()
    assert len(index) == 0 and index.ids().size == 0


def test_fewer_than_k_pads(kind):
    index = make(kind)
    data = clustered(3)
    index.add(np.array([1, 2, 3]), data)
    index.remove([2])
    scores, found = index.search(data[:1], 5)
    assert found[0, 0] == 1 and found[0, 1] == 3
    assert (found[0, 2:] == PAD_ID).all() and np.isneginf(scores[0, 2:]).all()
    assert 2 not in found[0].tolist()


def test_rejects_bad_vectors(kind):
    index = make(kind)
    with pytest.raises(ValueError, match="L2-normalised"):
        index.add(np.array([1]), np.full((1, DIM), 0.5, np.float32))
    with pytest.raises(ValueError, match="shape"):
        index.add(np.array([1]), clustered(1, dim=DIM + 1))
    with pytest.raises(ValueError, match="ids"):
        index.add(np.array([1, 2]), clustered(1))
    with pytest.raises(ValueError, match="non-negative"):
        index.add(np.array([-1]), clustered(1))
    with pytest.raises(ValueError, match="k must"):
        index.search(clustered(1), 0)
    assert len(index) == 0, "a rejected add leaves the index untouched"


def test_save_load_round_trip(filled, tmp_path):
    index, data, ids = filled
    index.remove(ids[:10])
    queries = clustered(20, seed=9)
    before = index.search(queries, 10)
    index.save(tmp_path)
    loaded = type(index).load(tmp_path)
    assert loaded.kind == index.kind and loaded.dim == DIM and len(loaded) == len(ids) - 10
    after = loaded.search(queries, 10)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(before[0], after[0])
    assert set(loaded.ids().tolist()) == set(ids[10:].tolist())


@pytest.mark.parametrize("kind", ["milvus", "milvus-hnsw"])
def test_a_milvus_collection_opened_by_another_process_is_searchable(kind, tmp_path):
    """Milvus Lite (and a Milvus server after a restart) keeps a reopened collection released:
    every search of a second process (a gunicorn worker, the job worker, the next start)
    failed with "collection ... is in state 'released'; call load() before search"."""
    index = make(kind)
    data, ids = clustered(50), np.arange(1, 51, dtype=np.int64)
    index.add(ids, data)
    index.save(tmp_path)
    index.client.release_collection(index.collection)  # what another process finds
    loaded = type(index).load(tmp_path)
    scores, found = loaded.search(data[:3], 5)
    assert found[:, 0].tolist() == ids[:3].tolist()


def test_hnsw_compact_drops_tombstones():
    index = make("hnsw")
    data, ids = clustered(500), primary_keys(500)
    index.add(ids, data)
    index.remove(ids[:200])
    assert index.dead == 200
    fresh = index.compact()
    assert fresh.dead == 0 and len(fresh) == 300
    assert set(fresh.ids().tolist()) == set(ids[200:].tolist())
    _, found = fresh.search(data[300:301], 1)
    assert found[0, 0] == ids[300]


def test_a_milvus_lite_file_that_cannot_be_opened_says_why(monkeypatch, tmp_path):
    """A second process on one Milvus Lite file (or no milvus-lite installed) got pymilvus's
    bare "Open local milvus failed"; the message now names the cause and the way out."""
    import pymilvus

    from matchmaker.indexing.dense import milvus

    def refuse(uri):
        raise pymilvus.exceptions.ConnectionConfigException(message="Open local milvus failed")

    monkeypatch.setattr(pymilvus, "MilvusClient", refuse)
    with pytest.raises(RuntimeError, match="one process at a time.*MATCHMAKER_MILVUS_URI"):
        milvus.connect(str(tmp_path / "busy.db"))
