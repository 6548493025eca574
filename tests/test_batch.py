"""Batch matching into Match rows, incremental index sync, and recovery from broken indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import LegalStatus, Match, MatchHistory, MatchNote, MatchStatus, Role
from matchmaker.services import matching
from tests import factories as f


@pytest.fixture
def world(db_app):
    patents = [
        f.patent("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。"),
        f.patent("一种风电叶片除冰装置", "叶片内置电加热膜，防止风电叶片结冰。", dormant=True),
        f.patent("一种铈基稀土抛光粉", "铈基抛光粉粒度分布均匀，用于玻璃抛光。", dormant=False),
    ]
    needs = [
        f.need("钕铁硼矫顽力提升", "希望采用晶界扩散技术提高钕铁硼磁体矫顽力。"),
        f.need("风电叶片结冰", "风电场叶片冬季结冰，需要除冰技术。", keywords=["除冰"]),
    ]
    db.session.commit()
    matching.rebuild_indexes()
    return patents, needs


def _pairs():
    return {(m.need_id, m.patent_id): m for m in db.session.scalars(select(Match))}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_batch_creates_candidates(world):
    patents, needs = world
    report = matching.run_batch_matching(top_k=2)
    pairs = _pairs()
    assert report["created"] == len(pairs) > 0
    assert report["needs"] == 2 and report["patents"] == 2  # the two dormant patents
    assert (needs[0].id, patents[0].id) in pairs and (needs[1].id, patents[1].id) in pairs
    for match in pairs.values():
        assert match.status is MatchStatus.CANDIDATE and match.source == "batch"
        assert match.explanation["channels"] == match.channel_scores
        assert match.explanation["direction"] in ("need", "patent")
        assert match.rank >= 1 and 0 < match.score < 1.2
        assert [h.to_status for h in match.history] == [MatchStatus.CANDIDATE]
    best = pairs[(needs[0].id, patents[0].id)]
    assert best.rank == 1 and best.explanation["shared_terms"]


def test_a_save_committed_while_the_batch_ranks_does_not_break_it(world, monkeypatch):
    """A need posted while the nightly batch ranked (another connection's commit between the
    batch's reads and its writes) made SQLite refuse the batch's next write, and the job ran
    the whole batch again; each chunk's rows now go in a writer's transaction of their own."""
    from sqlalchemy import update

    from matchmaker.records import Need
    from matchmaker.services.matching_service import MatchingService

    _, needs = world
    need_id, rank, saves = needs[1].id, MatchingService.rank_record, []

    def rank_then_someone_saves(self, *args, **kwargs):
        ranked = rank(self, *args, **kwargs)
        with db.engine.connect() as other:  # a request of another process saving a record
            other.execute(update(Need).where(Need.id == need_id).values(
                description=f"风电场叶片冬季结冰，需要除冰技术。{len(saves)}"))
            other.commit()
        saves.append(need_id)
        return ranked

    monkeypatch.setattr(MatchingService, "rank_record", rank_then_someone_saves)
    report = matching.run_batch_matching(top_k=2)
    assert len(saves) == 4 and report["created"] == len(_pairs()) > 0


def test_rerun_is_idempotent(world):
    matching.run_batch_matching(top_k=2)
    first = {k: (m.score, m.rank) for k, m in _pairs().items()}
    histories = _count(MatchHistory)
    report = matching.run_batch_matching(top_k=2)
    assert report["created"] == 0 and report["refreshed"] == len(first)
    assert {k: (m.score, m.rank) for k, m in _pairs().items()} == first
    assert _count(MatchHistory) == histories


def test_worked_pairs_keep_status_broker_notes_and_history(world):
    patents, needs = world
    matching.run_batch_matching(top_k=2)
    broker = f.user(Role.BROKER)
    worked = _pairs()[(needs[0].id, patents[0].id)]
    worked.status, worked.broker, worked.score = MatchStatus.RECOMMENDED, broker, 0.123
    worked.history.append(MatchHistory(from_status=MatchStatus.CANDIDATE,
                                       to_status=MatchStatus.RECOMMENDED, actor=broker))
    kept = _pairs()[(needs[1].id, patents[1].id)]  # still a candidate, but has a note
    kept.notes.append(MatchNote(author=broker, body="call the university"))
    kept.score = 0.001
    db.session.commit()
    matching.run_batch_matching(top_k=2)
    db.session.expire_all()
    worked, kept = (db.session.get(Match, worked.id), db.session.get(Match, kept.id))
    assert worked.status is MatchStatus.RECOMMENDED and worked.broker_id == broker.id
    assert worked.score == 0.123  # not refreshed once a broker has worked it
    assert [h.to_status for h in worked.history] == [MatchStatus.CANDIDATE,
                                                     MatchStatus.RECOMMENDED]
    assert kept.score > 0.001  # a candidate's score refreshes
    assert [n.body for n in kept.notes] == ["call the university"]


def test_rejected_pair_is_not_resurrected(world):
    patents, needs = world
    db.session.add(Match(need=needs[0], patent=patents[0], status=MatchStatus.REJECTED,
                         score=0.5))
    db.session.commit()
    matching.run_batch_matching(top_k=3)
    rejected = _pairs()[(needs[0].id, patents[0].id)]
    assert rejected.status is MatchStatus.REJECTED and rejected.score == 0.5
    assert _count(Match) == len(_pairs())  # no duplicate row for the pair


def test_match_and_store_one_need(world):
    patents, needs = world
    new = f.need("抛光粉粒度控制", "玻璃抛光用铈基抛光粉粒度不均。", keywords=["抛光粉"])
    db.session.commit()
    written = matching.match_and_store_need(new.id, k=2)
    rows = [m for (n, _), m in _pairs().items() if n == new.id]
    assert written == len(rows) == 2
    assert min(rows, key=lambda m: m.rank).patent_id == patents[2].id
    assert matching.match_and_store_need(new.id, k=2) == 2  # refreshed, not duplicated
    assert len([1 for (n, _) in _pairs() if n == new.id]) == 2


def _patent_ids_in_index() -> set[int]:
    return set(matching.engine().lexical.index("patents").ids().tolist())


def test_sync_follows_changes_lapses_and_deletions(world):
    patents, needs = world
    polish = patents[2]
    polish.title, polish.abstract = "一种液流电池电解液", "全钒液流电池电解液的制备。"
    db.session.commit()
    bm25 = matching.engine().lexical
    assert polish.id not in bm25.search("patents", "全钒液流电池", 5)[0].tolist()
    matching.sync_patents([polish.id])
    assert polish.id in bm25.search("patents", "全钒液流电池", 5)[0].tolist()
    assert matching.search_patents("全钒液流电池")[0][0] == polish.id

    patents[1].legal_status = LegalStatus.LAPSED
    db.session.commit()
    matching.sync_patents([patents[1].id])
    assert patents[1].id not in _patent_ids_in_index()
    dense = matching.engine().primary.stores["patents"].get()
    assert patents[1].id not in set(dense.ids().tolist())

    gone = patents[0].id
    db.session.delete(patents[0])
    db.session.commit()
    matching.sync_patents([gone])
    assert gone not in _patent_ids_in_index()
    assert matching.index_status()["state"] == "built"


def test_sync_of_needs_drops_closed_ones(world):
    patents, needs = world
    from matchmaker.records import NeedStatus

    needs[1].status = NeedStatus.CLOSED
    db.session.commit()
    matching.sync_needs([needs[1].id])
    assert needs[1].id not in set(matching.engine().lexical.index("needs").ids().tolist())
    assert [c.need_id for c in matching.match_patent(patents[1])] == [needs[0].id]


def test_index_status_reports_missing_stale_and_built(world, db_app):
    assert matching.index_status()["state"] == "built"
    f.patent("一种储氢合金", "稀土储氢合金。")
    db.session.commit()
    assert matching.index_status()["state"] == "stale"  # the database has one more patent
    shutil.rmtree(Path(db_app.config["INDEX_DIR"]) / "needs-bm25")
    status = matching.index_status()
    assert status["state"] == "missing"
    assert {c["name"]: c["state"] for c in status["collections"]}["needs-bm25"] == "missing"


@pytest.mark.parametrize("damage", ["delete_dense", "corrupt_bm25", "corrupt_dense"])
def test_broken_index_is_never_served_and_never_rebuilt_in_a_request(world, db_app, damage):
    from matchmaker.errors import IndexUnusable
    from matchmaker.signals import index_rebuild_requested

    patents, needs = world
    before = [(c.patent_id, c.score) for c in matching.match_need(needs[0], 3)]
    root = Path(db_app.config["INDEX_DIR"])
    if damage == "delete_dense":
        shutil.rmtree(root / "patents-fake")
    elif damage == "corrupt_bm25":
        (root / "patents-bm25" / "w_data.npy").write_bytes(b"not an index")
    else:
        (root / "patents-fake" / "index.faiss").write_bytes(b"garbage")
    db_app.extensions.pop("matchmaker.engine")  # a new worker: nothing cached in memory
    requested = []

    def receiver(sender, side):
        requested.append(side)

    index_rebuild_requested.connect(receiver)
    try:
        with pytest.raises(IndexUnusable):
            matching.match_need(needs[0], 3)
        with pytest.raises(IndexUnusable):
            matching.search_patents("钕铁硼")
        with pytest.raises(IndexUnusable):  # still broken: the requests rebuilt nothing
            matching.match_need(needs[0], 3)
    finally:
        index_rebuild_requested.disconnect(receiver)
    assert requested == ["patents", "patents", "patents"]
    # the pair page says "being rebuilt" instead of failing
    client = db_app.test_client()
    admin = f.user(Role.ADMIN)
    db.session.commit()
    client.post("/auth/login", data={"username": admin.username, "password": "password-123"})
    page = client.get(f"/needs/{needs[0].id}/matches")
    assert page.status_code == 200
    assert "检索索引正在重建" in page.get_data(as_text=True)
    # the batch (CLI and jobs) may rebuild, and the rebuilt index ranks as before
    matching.run_batch_matching()
    after = [(c.patent_id, c.score) for c in matching.match_need(needs[0], 3)]
    assert after == before
    assert matching.index_status()["state"] == "built"


def test_healthz_reports_the_index(world, db_app):
    db_app.config["HEALTH_TOKEN"] = "t0ken"
    client = db_app.test_client()
    client.environ_base["HTTP_X_HEALTH_TOKEN"] = "t0ken"
    body = client.get("/healthz").get_json()
    assert body["index"]["state"] == "built" and body["index"]["count"] == 3
    assert body["index"]["encoder"] == "fake" and body["index"]["built_at"]
    assert set(body["database"]) >= {"reachable", "patents", "needs", "matches"}
    shutil.rmtree(Path(db_app.config["INDEX_DIR"]) / "patents-fake")
    assert client.get("/healthz").get_json()["index"]["state"] == "missing"


def test_rule_labels_are_translated(db_app):
    """Every flag label, favourable, unfavourable or unknown, has a Chinese translation."""
    from flask_babel import force_locale, gettext

    from matchmaker.matching.rules import NeedFacts, PatentFacts, RuleConfig, flags

    cases = [
        (NeedFacts(1, region_league="包头市", budget_max=10, cooperation_mode="licence"),
         PatentFacts(2, region_league="包头市", asking_price=50, licensing_modes=("open",))),
        (NeedFacts(1, region_league="赤峰市", budget_max=100, cooperation_mode="transfer"),
         PatentFacts(2, region_league="包头市", asking_price=5, licensing_modes=("ordinary",))),
        (NeedFacts(1, budget_max=10), PatentFacts(2, region_league="乌海市", asking_price=15)),
        (NeedFacts(1), PatentFacts(2, region_league="北京市")),
        (NeedFacts(1), PatentFacts(2)),
    ]
    entries = [e for need, patent in cases for e in flags(need, patent, RuleConfig())]
    assert len({e["label"] for e in entries}) >= 14
    with db_app.test_request_context(), force_locale("zh_CN"):
        labels = [gettext(e["label"]) for e in entries]
    assert all(label != e["label"] for label, e in zip(labels, entries, strict=True))


def test_cli_commands(world, db_app):
    patents, needs = world
    runner = db_app.test_cli_runner()
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["build-index"])
    assert result.exit_code == 0, result.output
    assert "patents: 3 indexed" in result.output and "needs: 2 indexed" in result.output
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["match", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    assert "needs 2, dormant patents 2" in result.output and "new candidates" in result.output
    assert _count(Match) > 0
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["match-need", str(needs[0].id), "--top-k", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"need {needs[0].id}:")
    assert lines[2].split()[:2] == ["1", str(patents[0].id)]  # rank 1 is the magnet patent
    assert "shared terms:" in result.output
    result = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["match-patent", str(patents[1].id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["need_id"] == needs[1].id
    missing = runner.invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["match-need", "9999"])
    assert missing.exit_code != 0 and "does not exist" in missing.output


def _stored():
    return {key: (m.score, m.rank, m.calibrated, m.channel_scores, m.explanation)
            for key, m in _pairs().items()}


def test_workers_store_the_same_rows_as_one_process(world, monkeypatch):
    """``flask match --workers 2``: spawned processes rank, this one stores in the batch's
    order, so the rows equal the one-process batch's; their encodings are counted here."""
    from matchmaker.encoders import counting
    from matchmaker.services import batch_pool

    monkeypatch.setattr(batch_pool, "MIN_RECORDS_PER_WORKER", 1)  # four records, two workers
    counting.reset()
    parallel = matching.run_batch_matching(top_k=2, workers=2)
    assert parallel["workers"] == 2 and parallel["created"] > 0
    encoded = counting.snapshot()["fake"]
    assert encoded["sentences"]["texts"] > 0  # the workers' explanation windows, absorbed
    assert "queries" not in encoded and "documents" not in encoded
    rows = _stored()
    db.session.query(MatchHistory).delete()
    db.session.query(Match).delete()
    db.session.commit()
    alone = matching.run_batch_matching(top_k=2, workers=1)
    assert alone["workers"] == 1
    assert {k: v for k, v in alone.items() if k not in ("seconds", "workers")} == {
        k: v for k, v in parallel.items() if k not in ("seconds", "workers")}
    assert _stored() == rows


def test_too_little_work_uses_fewer_processes():
    import multiprocessing

    from matchmaker.services import batch_pool

    assert batch_pool.usable_workers(2, 99) == 1  # fewer than 50 records per worker
    assert batch_pool.usable_workers(4, 1000) == 4
    assert batch_pool.usable_workers(0, 10_000) == max(1, multiprocessing.cpu_count())


def test_a_daemonic_process_ranks_on_workers_too(world, monkeypatch):
    """A job in a Celery prefork worker runs in a daemonic process, where the standard
    library's pools refuse to start ("daemonic processes are not allowed to have children");
    the batch's pool ranks on two processes there all the same, and stores the same rows."""
    import multiprocessing

    from flask import current_app

    from matchmaker.services import batch_pool

    monkeypatch.setattr(batch_pool, "MIN_RECORDS_PER_WORKER", 1)  # four records, two workers
    alone = matching.run_batch_matching(top_k=2, workers=1)
    rows = _stored()
    db.session.query(MatchHistory).delete()
    db.session.query(Match).delete()
    db.session.commit()
    db.session.remove()  # no connection or SQLite lock of ours crosses the fork
    app = current_app._get_current_object()
    context = multiprocessing.get_context("fork")
    answers = context.Queue()

    def job():  # what a prefork child's batch_match job does
        db.engine.dispose(close=False)
        with app.app_context():
            try:
                answers.put(matching.run_batch_matching(top_k=2, workers=2))
            except Exception as exc:  # reported to the test, not lost in the child
                answers.put(repr(exc))

    child = context.Process(target=job, daemon=True)
    child.start()
    report = answers.get(timeout=120)
    child.join(30)
    assert isinstance(report, dict), report
    assert report["workers"] == 2 and report["created"] == alone["created"] > 0
    assert _stored() == rows


def test_a_rebuild_encoded_by_workers_holds_the_same_vectors(world, monkeypatch):
    """``flask build-index --workers 2``: chunks of documents are encoded in forked workers and
    come back in order; the collections and the encode counts are those of one process."""
    from matchmaker.encoders import counting
    from matchmaker.services import batch_pool

    monkeypatch.setattr(batch_pool, "MIN_RECORDS_PER_WORKER", 1)
    monkeypatch.setattr(batch_pool, "ENCODE_CHUNK", 1)  # one task per document
    service = matching.service()

    def stored():
        out = {}
        for side in ("patents", "needs"):
            for channel in service.engine.dense:
                ids = [i for i in range(1, 10)]
                rows = channel.stored(side, ids)
                out[(side, channel.name)] = None if rows is None else rows.tolist()
        return out

    counting.reset()
    matching.rebuild_indexes(workers=1)
    alone, alone_counts = stored(), counting.snapshot()
    counting.reset()
    matching.rebuild_indexes(workers=2)
    assert counting.snapshot() == alone_counts
    assert stored() == alone
    patents, needs = world
    assert [r.id for r in service.match_need(needs[0], 3)][0] == patents[0].id
