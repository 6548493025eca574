"""The store contract over every kind (FAISS flat, HNSW, BM25, Milvus Lite): persistence,
checks, the delta log (upserts, removals, readers in other processes), compaction and failure guards."""

from __future__ import annotations

import json
import multiprocessing
import threading

import numpy as np
import pytest

from matchmaker.errors import IndexUnusable
from matchmaker.indexing import CollectionStore, delta
from matchmaker.indexing.dense.factory import DenseBackend, MilvusBackend
from matchmaker.indexing.sparse.factory import SparseBackend
from tests.milvus_lite import lite_uri

DIM = 32
KINDS = ["flat", "hnsw", "bm25", "milvus"]
WORDS = ("magnet coercivity boron grain diffusion turbine blade icing heater polishing cerium "
         "powder glass battery vanadium electrolyte hydrogen alloy storage drone lidar crop "
         "irrigation coal gangue ceramsite steel slag aluminium casting").split()


def make_store(root, kind: str, **kw) -> CollectionStore:
    if kind == "bm25":
        sparse = SparseBackend()
        return CollectionStore(root, "patents-bm25", backend=sparse, identity=sparse.identity(),
                               **kw)
    if kind == "milvus":
        milvus = MilvusBackend(DIM, uri=lite_uri(), prefix="patents-fake", exact_limit=10**9)
        return CollectionStore(root, "patents-fake", backend=milvus,
                               identity=("fake", "1", DIM), **kw)
    dense = DenseBackend(DIM, exact_limit=1 if kind == "hnsw" else 10**9, threads=1)
    return CollectionStore(root, "patents-fake", backend=dense, identity=("fake", "1", DIM), **kw)


def docs(kind: str, ids, seed: int = 0):
    """Payloads: unit vectors, or texts of four words; document i is findable by itself."""
    rng = np.random.default_rng(seed)
    if kind == "bm25":
        return [" ".join(rng.choice(WORDS, 4, replace=False)) + f" doc{i}x" for i in ids]
    x = rng.standard_normal((len(ids), DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def top(view, kind: str, payload, k: int = 5) -> list[int]:
    """Ranked ids for one document's own payload as the query."""
    if kind == "bm25":
        return view.search(payload, k)[0].tolist()
    ids = view.search(np.asarray(payload).reshape(1, -1), k)[1][0]
    return [int(i) for i in ids if i >= 0]


def build(store, kind, ids, payload):
    collection = store.new_index(len(ids))
    collection.add(np.asarray(ids, np.int64), payload)
    return store.save(collection)


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


def test_round_trip_manifest_and_mmap(tmp_path, kind):
    ids = list(range(100, 160))
    payload = docs(kind, ids)
    store = make_store(tmp_path, kind)
    build(store, kind, ids, payload)
    manifest = json.loads((store.directory / "manifest.json").read_text())
    assert manifest["count"] == 60 and manifest["version"] == 1
    assert set(manifest["files"]) == set(store.get().base.files())
    reader = make_store(tmp_path, kind)
    view = reader.get()
    assert len(view) == 60 and sorted(view.ids().tolist()) == ids
    for i in (0, 17, 59):
        assert top(view, kind, payload[i])[0] == ids[i]
    assert not list(tmp_path.glob("**/.*.tmp")), "no temporary files left behind"


def test_missing_corrupt_and_mismatch_are_refused(tmp_path, kind):
    store = make_store(tmp_path, kind)
    with pytest.raises(IndexUnusable) as err:
        store.get()
    assert err.value.reason == "missing"
    build(store, kind, [1, 2, 3], docs(kind, [1, 2, 3]))
    main = store.directory / store.new_index().files()[0]
    raw = bytearray(main.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    main.write_bytes(bytes(raw))
    with pytest.raises(IndexUnusable, match="build-index") as err:
        make_store(tmp_path, kind).get()
    assert err.value.reason == "corrupt"
    build(store, kind, [1], docs(kind, [1]))
    other = CollectionStore(tmp_path, store.name, backend=store.backend,
                            identity=("another-encoder", "9", store.dim))
    with pytest.raises(IndexUnusable) as err:
        other.get()
    assert err.value.reason == "mismatch"


def test_changes_go_to_the_log_and_readers_merge_them_without_reloading(tmp_path, kind):
    ids = list(range(1, 41))
    payload = docs(kind, ids)
    writer = make_store(tmp_path, kind)
    build(writer, kind, ids[:30], payload[:30])
    base_files = {f: (writer.directory / f).stat().st_mtime_ns for f in writer.get().base.files()}
    # the manifest is read at most once an hour: only the log's length tells the reader
    reader = make_store(tmp_path, kind, stale_interval=3600)
    base = reader.get().base
    writer.add(ids[30:], payload[30:] if kind == "bm25" else payload[30:])
    assert writer.remove([ids[0], 999]) == 1
    changed = docs(kind, [ids[1]], seed=9)
    writer.add([ids[1]], changed)
    view = reader.fresh()
    assert view.base is base and reader.version == writer.version == 1
    assert len(view) == 39 and sorted(view.ids().tolist()) == ids[1:]
    assert top(view, kind, payload[35])[0] == ids[35]  # added through the log
    assert ids[0] not in top(view, kind, payload[0], k=40)  # removed
    assert top(view, kind, changed[0])[0] == ids[1]  # changed: found by its new content
    assert base_files == {f: (writer.directory / f).stat().st_mtime_ns for f in base_files}
    status = writer.manifest()
    assert status.count == 30 and status.extras["live_count"] == 39


@pytest.mark.parametrize("dense_kind", ["flat", "hnsw", "milvus"])
def test_the_merged_view_reads_vectors_from_log_and_base_in_the_order_asked(tmp_path,
                                                                          dense_kind):
    ids = list(range(1, 21))
    payload = docs(dense_kind, ids)
    store = make_store(tmp_path, dense_kind)
    build(store, dense_kind, ids[:15], payload[:15])
    changed = docs(dense_kind, [3], seed=9)
    store.add([3], changed)  # changed in the log
    store.add(ids[15:], payload[15:])  # added in the log
    store.remove([5])
    view = store.fresh()
    asked = [16, 1, 2, 3, 999, 4, 5, 6, 20, 7]  # runs of base ids between log ids
    want = [payload[15], payload[0], payload[1], changed[0], payload[3], payload[5],
            payload[19], payload[6]]  # 999 never existed, 5 was removed: left out
    assert np.allclose(view.vectors_of(asked), np.stack(want), atol=1e-5)
    assert np.allclose(view.vectors_of([2, 1]), np.stack([payload[1], payload[0]]), atol=1e-5)
    assert view.vectors_of([5, 999]).shape == (0, DIM)


def test_compaction_folds_the_log_into_a_base_that_ranks_like_a_fresh_build(tmp_path, kind):
    ids = list(range(1, 61))
    payload = docs(kind, ids)
    store = make_store(tmp_path, kind)
    build(store, kind, ids[:40], payload[:40])
    store.add(ids[40:], payload[40:])
    store.remove(ids[:5])
    reader = make_store(tmp_path, kind, stale_interval=0)
    assert len(reader.fresh()) == 55 and reader.pending() == 25
    manifest = store.compact()
    assert manifest.version == 2 and manifest.count == 55
    assert not list(store.directory.glob("delta-*.log"))
    fresh = make_store(tmp_path / "fresh", kind)
    build(fresh, kind, ids[5:], payload[5:])
    view = reader.fresh()  # the old log is gone: the reader loads the new base
    assert reader.version == 2 and view.pending == 0
    for i in (5, 20, 45, 59):
        assert top(view, kind, payload[i]) == top(fresh.get(), kind, payload[i])
    assert store.compact().version == 2  # nothing to fold: nothing rewritten


def test_a_torn_record_is_ignored_and_cut_by_the_next_writer(tmp_path, kind):
    store = make_store(tmp_path, kind)
    build(store, kind, [1, 2], docs(kind, [1, 2]))
    store.add([3], docs(kind, [3], seed=3))
    log = delta.path_for(store.directory, 1)
    whole = log.stat().st_size
    with open(log, "ab") as fh:  # a writer killed in the middle of a record
        fh.write(delta.encode(delta.UPSERT, 4, b"x" * 64)[:20])
    reader = make_store(tmp_path, kind)
    assert sorted(reader.get().ids().tolist()) == [1, 2, 3]
    store.add([5], docs(kind, [5], seed=5))
    records, end = delta.read(log)
    assert [r[1] for r in records] == [3, 5] and end == log.stat().st_size > whole
    assert sorted(make_store(tmp_path, kind).get().ids().tolist()) == [1, 2, 3, 5]


def test_a_failed_append_loses_nothing_and_leaves_no_half_record(tmp_path, kind, monkeypatch):
    store = make_store(tmp_path, kind)
    build(store, kind, [1, 2], docs(kind, [1, 2]))
    store.add([3], docs(kind, [3], seed=3))
    size = delta.path_for(store.directory, 1).stat().st_size

    def disk_full(fd):
        raise OSError("No space left on device")

    monkeypatch.setattr(delta.os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.add([4], docs(kind, [4], seed=4))
    monkeypatch.undo()
    assert delta.path_for(store.directory, 1).stat().st_size == size
    assert sorted(store.fresh().ids().tolist()) == [1, 2, 3]


def test_concurrent_writers_lose_nothing(tmp_path, kind):
    ids = list(range(1, 41))
    payload = docs(kind, ids)
    build(make_store(tmp_path, kind), kind, [0], docs(kind, [0], seed=7))
    stores = [make_store(tmp_path, kind), make_store(tmp_path, kind)]
    errors = []

    def work(store, part):
        try:
            for i in range(part, 40, 2):
                store.add([ids[i]], payload[i:i + 1])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(make_store(tmp_path, kind).get().ids().tolist()) == [0, *ids]


def _child_writes(root, kind):
    store = make_store(root, kind)
    store.add([77], docs(kind, [77], seed=77))
    store.remove([1])


def test_another_process_sees_changes_at_its_next_search(tmp_path, kind):
    store = make_store(tmp_path, kind, stale_interval=3600)
    build(store, kind, [1, 2, 3], docs(kind, [1, 2, 3]))
    assert len(store.fresh()) == 3
    child = multiprocessing.get_context("fork").Process(target=_child_writes,
                                                        args=(tmp_path, kind))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    view = store.fresh()
    assert sorted(view.ids().tolist()) == [2, 3, 77]
    assert top(view, kind, docs(kind, [77], seed=77)[0])[0] == 77


def test_compaction_drops_hnsw_tombstones_past_the_limit(tmp_path):
    store = make_store(tmp_path, "hnsw")
    ids = list(range(1, 21))
    build(store, "hnsw", ids, docs("hnsw", ids))
    store.remove(ids[:4])  # 4 of 20 positions dead: under the 0.3 limit, the graph is kept
    assert store.compact().extras["tombstones"] == 4
    store.remove(ids[4:10])  # 10 of 20 dead: rebuilt without them
    manifest = store.compact()
    assert manifest.extras["tombstones"] == 0 and manifest.count == 10
    assert sorted(store.fresh().ids().tolist()) == ids[10:]
