"""Contract tests run against every index backend, checked against brute-force numpy search."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from matchmaker.errors import IndexUnusable
from matchmaker.vectorindex import (
    PAD_ID,
    FlatIndex,
    HNSWIndex,
    IndexStore,
    build_index,
    collection_name,
    index_class,
)

DIM = 64
KINDS = ["flat", "hnsw"]


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
    if kind == "flat":
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


def test_search_restores_thread_setting(filled):
    import faiss

    index, data, _ = filled
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


# -- IndexStore ----------------------------------------------------------------------------


def store_for(root, *, encoder="fake", version="1", dim=DIM, kind="flat", **kw):
    return IndexStore(root, collection_name("patents", encoder), encoder=encoder,
                      encoder_version=version, dim=dim,
                      exact_limit=1 if kind == "hnsw" else 10**9, **kw)


def test_store_round_trip_and_manifest(tmp_path, kind):
    data, ids = clustered(300), primary_keys(300)
    store = store_for(tmp_path, kind=kind)
    store.add(ids, data)
    manifest = json.loads((store.directory / "manifest.json").read_text())
    assert store.directory == tmp_path / "patents-fake"
    assert manifest["encoder"] == "fake" and manifest["dim"] == DIM
    assert manifest["count"] == 300 and manifest["index_type"] == kind
    assert manifest["version"] == 1 and len(manifest["checksum"]) == 64
    assert manifest["created_at"].endswith("+00:00") and manifest["faiss_version"]
    other = store_for(tmp_path, kind=kind)
    got = other.get()
    assert got.kind == kind and len(got) == 300
    np.testing.assert_array_equal(got.search(data[:5], 3)[1], store.get().search(data[:5], 3)[1])
    assert not list(tmp_path.glob("**/*.tmp")), "no temporary files left behind"


@pytest.mark.parametrize("field, value", [("encoder", "use-multilingual"), ("version", "2"),
                                          ("dim", 32)])
def test_store_refuses_other_encoder(tmp_path, field, value):
    store_for(tmp_path).add(np.array([1]), clustered(1))
    kwargs = {field: value}
    if field == "encoder":
        # Same folder, another encoder: as if the config changed under an existing index.
        other = IndexStore(tmp_path, "patents-fake", encoder=value, encoder_version="1", dim=DIM)
    else:
        other = store_for(tmp_path, **kwargs)
    with pytest.raises(IndexUnusable, match="build-index") as err:
        other.get()
    assert err.value.reason == "mismatch"


def test_store_missing(tmp_path, kind):
    store = store_for(tmp_path, kind=kind)
    with pytest.raises(IndexUnusable) as err:
        store.get()
    assert err.value.reason == "missing"
    store.add(primary_keys(20), clustered(20))
    (store.directory / "index.faiss").unlink()
    with pytest.raises(IndexUnusable) as err:
        store_for(tmp_path, kind=kind).get()
    assert err.value.reason == "missing"


@pytest.mark.parametrize("victim", ["index.faiss", "labels.npy", "tombstones.npy"])
def test_store_detects_corruption(tmp_path, victim):
    store = store_for(tmp_path, kind="hnsw")
    store.add(primary_keys(50), clustered(50))
    path = store.directory / victim
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # flip one byte in the middle
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexUnusable) as err:
        store_for(tmp_path, kind="hnsw").get()
    assert err.value.reason == "corrupt"


def test_store_corrupt_manifest(tmp_path):
    store = store_for(tmp_path)
    store.add(np.array([1]), clustered(1))
    (store.directory / "manifest.json").write_text("{not json")
    with pytest.raises(IndexUnusable) as err:
        store_for(tmp_path).get()
    assert err.value.reason == "corrupt"


def test_store_stale_after_another_process_saves(tmp_path, kind):
    data, ids = clustered(40), primary_keys(40)
    reader = store_for(tmp_path, kind=kind, stale_interval=0)
    writer = store_for(tmp_path, kind=kind, stale_interval=0)
    writer.add(ids[:20], data[:20])
    assert len(reader.get()) == 20 and not reader.is_stale()
    writer.add(ids[20:], data[20:])
    assert reader.is_stale()
    assert len(reader.fresh()) == 40 and not reader.is_stale()
    assert reader.version == writer.version == 2


def test_store_stale_check_is_throttled(tmp_path):
    reader = store_for(tmp_path, stale_interval=3600)
    writer = store_for(tmp_path)
    writer.add(np.array([1]), clustered(1))
    reader.get()
    assert not reader.is_stale()
    writer.add(np.array([2]), clustered(1, seed=2))
    assert not reader.is_stale(), "manifest is read at most once per interval"


def test_store_incremental_add_reloads_before_writing(tmp_path, kind):
    data, ids = clustered(30), primary_keys(30)
    first, second = store_for(tmp_path, kind=kind), store_for(tmp_path, kind=kind)
    first.add(ids[:10], data[:10])
    second.add(ids[10:20], data[10:20])  # second never loaded: it must pick up first's save
    first.add(ids[20:], data[20:])  # first is stale now: it must reload, not overwrite
    assert set(store_for(tmp_path, kind=kind).get().ids().tolist()) == set(ids.tolist())
    assert first.remove(ids[:5].tolist()) == 5
    assert len(store_for(tmp_path, kind=kind).get()) == 25
    assert first.manifest().version == 4


def test_store_concurrent_writers_lose_nothing(tmp_path):
    data, ids = clustered(40), primary_keys(40)
    stores = [store_for(tmp_path), store_for(tmp_path)]
    errors = []

    def work(store, part):
        try:
            for i in range(part, 40, 2):
                store.add(ids[i:i + 1], data[i:i + 1])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = store_for(tmp_path)
    assert set(final.get().ids().tolist()) == set(ids.tolist())
    assert final.version == 40


def test_store_drop_and_for_encoder(tmp_path):
    from matchmaker.encoders.fake import FakeEncoder

    store = IndexStore.for_encoder(tmp_path, "needs", FakeEncoder())
    assert store.name == "needs-fake" and store.dim == 64
    store.add(np.array([3]), FakeEncoder().encode(["光伏"]))
    store.drop()
    assert not store.exists() and not store.loaded


def test_collection_name_is_folder_safe():
    assert collection_name("patents", "sentence-transformers:../All MiniLM") == \
        "patents-sentence-transformers-..-all-minilm"


def test_failed_save_keeps_the_saved_index(tmp_path, monkeypatch):
    data, ids = clustered(3), primary_keys(3)
    store = store_for(tmp_path)
    store.add(ids[:2], data[:2])

    def disk_full(self, directory):
        raise OSError("No space left on device")

    monkeypatch.setattr(FlatIndex, "save", disk_full)
    with pytest.raises(OSError):
        store.add(ids[2:], data[2:])
    monkeypatch.undo()
    # Memory was not left ahead of disk: the store serves what was last saved.
    assert set(store.get().ids().tolist()) == set(ids[:2].tolist())
    assert store.manifest().version == 1
