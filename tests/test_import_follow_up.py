"""After an import, follow-up jobs index, match and announce the changed records.

Before: the import job matched the first 200 changed patents itself (the rest waited for a
batch run that nothing in the portal queued), imported needs got no candidates at all, the
import's alerts asked the engine again for every new record, and the job page stood at 100 %
with no counter while all that ran."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matchmaker.encoders import counting
from matchmaker.extensions import db
from matchmaker.jobs.registry import TASKS
from matchmaker.records import Job, JobStatus, Match, Need, OrgKind, Patent, Role
from matchmaker.services import matching
from matchmaker.signals import need_posted, patent_listed
from tests import factories as f

PATENTS = "公开号,专利名称,摘要,IPC分类号,法律状态,许可方式\n" + "".join(
    f"CN13{i:07d}A,一种稀土合金{i},本发明公开了一种稀土合金及其制备方法。,C22C 19/00,有效,转让\n"
    for i in range(5))
NEEDS = "需求名称,需求描述\n" + "".join(
    f"稀土合金降本需求{i},希望找到一种稀土合金及其制备方法。\n" for i in range(3))


@pytest.fixture
def heard():
    """Records announced to the subscribers (alerts, webhooks)."""
    seen: list[int] = []

    def patent(sender, patent_id, **_kw):
        seen.append(patent_id)

    def need(sender, need_id, **_kw):
        seen.append(need_id)

    patent_listed.connect(patent)
    need_posted.connect(need)
    yield seen
    patent_listed.disconnect(patent)
    need_posted.disconnect(need)


def _run_import(app, kind: str, content: str, user, **params) -> Job:
    path = f"{app.instance_path}/follow-up-{kind}.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content)
    job = Job(kind=f"import_{kind}", status=JobStatus.QUEUED, created_by_id=user.id,
              params={"path": path, "filename": f"{kind}.csv", "actor_id": user.id, **params})
    db.session.add(job)
    db.session.commit()
    assert TASKS[job.kind](job.id) == "succeeded"  # as a worker calls it
    db.session.rollback()
    return db.session.get(Job, job.id)


def test_every_imported_patent_is_indexed_matched_and_announced_by_follow_up_jobs(app, heard):
    app.config["IMPORT_FOLLOW_UP_ROWS"] = 2
    uni = f.org(OrgKind.UNIVERSITY)
    uploader = f.user(Role.UNIVERSITY, uni, username="fu-uni")
    f.need("稀土合金降本需求", "希望找到一种稀土合金及其制备方法。")
    db.session.commit()
    matching.rebuild_indexes()
    counting.reset()

    done = _run_import(app, "patents", PATENTS, uploader, owner_id=uni.id)
    assert done.status is JobStatus.SUCCEEDED and done.result["created"] == 5
    follow_up = [db.session.get(Job, i) for i in done.result["follow_up"]]
    assert [j.kind for j in follow_up] == ["index_imported"] * 3  # 5 rows, 2 per job
    assert [len(j.params["ids"]) for j in follow_up] == [2, 2, 1]
    for job in follow_up:
        assert job.status is JobStatus.SUCCEEDED and job.created_by_id == uploader.id
        assert job.progress_done == job.progress_total == len(job.params["ids"])
        assert job.result["records"] == len(job.params["ids"]) and job.result["warnings"] == []
    ids = db.session.scalars(select(Patent.id).order_by(Patent.id)).all()
    matched = db.session.scalars(select(Match.patent_id).distinct()).all()
    assert sorted(matched) == ids  # every row, not only the first IMPORT_MATCH_LIMIT
    assert sorted(heard) == ids  # each new patent announced, after its candidates were stored
    counts = counting.snapshot()["fake"]
    assert counts["documents"]["documents"] == 5  # each imported patent encoded once
    assert "queries" not in counts, counts  # matched with the vectors just indexed


def test_imported_needs_get_candidates_too(app, heard):
    enterprise = f.org(OrgKind.ENTERPRISE)
    user = f.user(Role.ENTERPRISE, enterprise, username="fu-ent")
    f.patent("一种稀土合金及其制备方法", "本发明公开了一种稀土合金及其制备方法。")
    db.session.commit()
    matching.rebuild_indexes()

    done = _run_import(app, "needs", NEEDS, user)
    assert done.result["created"] == 3 and len(done.result["follow_up"]) == 1
    ids = db.session.scalars(select(Need.id).order_by(Need.id)).all()
    assert sorted(db.session.scalars(select(Match.need_id).distinct()).all()) == ids
    assert sorted(heard) == ids


def _imported_for_one_need(app, username: str) -> Job:
    """PATENTS imported by a university user ``username``, with one indexed need to match."""
    uni = f.org(OrgKind.UNIVERSITY)
    uploader = f.user(Role.UNIVERSITY, uni, username=username)
    f.need("稀土合金降本需求", "希望找到一种稀土合金及其制备方法。")
    db.session.commit()
    matching.rebuild_indexes()
    return _run_import(app, "patents", PATENTS, uploader, owner_id=uni.id)


def test_a_follow_up_job_run_again_duplicates_nothing(app):
    """A worker killed during a follow-up job: its retry redoes the records' candidates
    (refreshed, not duplicated)."""
    done = _imported_for_one_need(app, "fu-uni2")
    pairs = db.session.scalar(select(func.count(Match.id)))
    [job_id] = done.result["follow_up"]
    db.session.execute(Job.__table__.update().where(Job.id == job_id).values(
        status=JobStatus.QUEUED))  # as if its worker died before recording the outcome
    db.session.commit()
    assert TASKS["index_imported"](job_id) == "succeeded"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Match.id))) == pairs
    assert db.session.get(Job, job_id).result["stored"] > 0  # the candidates were refreshed


def test_the_import_report_links_its_follow_up_jobs(app):
    done = _imported_for_one_need(app, "fu-uni3")
    [job_id] = done.result["follow_up"]
    client = app.test_client()
    assert f.login(client, "fu-uni3", "password-123").status_code == 302
    page = client.get(f"/jobs/{done.id}").get_data(as_text=True)
    assert f'href="/jobs/{job_id}"' in page and "新增和更新记录的索引与匹配" in page
    follow_up = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "为导入的记录建立索引并匹配" in follow_up and "已完成" in follow_up
    assert "所属导入" in follow_up and f'href="/jobs/{done.id}"' in follow_up  # back to it
    assert "<dt>提示</dt>" not in follow_up  # no warnings: no empty line for them


@pytest.fixture
def queued_only(app_factory, monkeypatch):
    """An app whose jobs are queued for a worker (none runs here); the messages sent."""
    import uuid

    from matchmaker.services import jobs

    app = app_factory({"JOBS_EAGER": False, "IMPORT_FOLLOW_UP_ROWS": 2,
                       "JOB_QUEUE": f"follow-up-{uuid.uuid4().hex[:8]}"})
    sent: list[int] = []
    monkeypatch.setattr(jobs, "send", lambda job_id, kind=None: sent.append(job_id))
    with app.app_context():
        yield sent


def test_follow_up_jobs_run_as_a_chain_so_other_jobs_get_in_between(queued_only):
    """All shares queued at once put a need posted during a large import behind every one of
    them; as a chain, only the first is sent and each sends the next when it ends."""
    from matchmaker.services import import_follow_up, jobs

    sent = queued_only
    chain = import_follow_up.queue("patents", [11, 12, 13, 14, 15], [11, 15], None, 7)
    assert sent == [chain[0]]  # the others wait for their turn
    assert chain == sorted(chain)  # the jobs list reads in the chain's order
    held = [db.session.get(Job, i) for i in chain]
    assert [j.params["ids"] for j in held] == [[11, 12], [13, 14], [15]]
    assert [j.params["created"] for j in held] == [[11], [], [15]]
    assert [j.params["then"] for j in held] == [chain[1], chain[2], None]
    assert {j.params["import_job"] for j in held} == {7}
    assert [j.task_id for j in held[1:]] == [jobs.HELD, jobs.HELD]
    import_follow_up.send_next(chain[1])  # the first one ended
    assert sent == chain[:2]
    held[2].status = JobStatus.SUCCEEDED  # recovery sent it meanwhile and it ran
    db.session.commit()
    import_follow_up.send_next(chain[2])
    assert sent == chain[:2]  # not sent again


def test_a_held_job_is_recovered_only_when_the_workers_fall_idle(queued_only):
    """A chain that broke (a worker killed between a job's end and its next one's message) is
    picked up by recovery; a long chain that runs is not sent out of turn for its age."""
    from datetime import timedelta

    from matchmaker.records import utcnow
    from matchmaker.services import import_follow_up
    from matchmaker.services.job_recovery import recover

    sent = queued_only
    chain = import_follow_up.queue("patents", [1, 2, 3], [], None)  # two shares
    old = utcnow() - timedelta(hours=3)  # older than a lease (an hour)
    for job_id in chain:
        db.session.get(Job, job_id).created_at = old
    first = db.session.get(Job, chain[0])
    first.status, first.started_at = JobStatus.SUCCEEDED, utcnow()  # the workers are busy
    db.session.commit()
    sent.clear()
    assert recover() == [] and sent == []
    first.started_at = old  # nothing started for longer than JOB_LOST_SECONDS: idle
    db.session.commit()
    assert recover() == [chain[1]] and sent == [chain[1]]


def test_only_the_last_job_of_a_chain_asks_for_a_compaction(app):
    """One compaction per share rewrote the whole collection every IMPORT_FOLLOW_UP_ROWS
    records of a large import; the chain's last job asks once for all."""
    import dataclasses

    from matchmaker.services import import_follow_up
    from matchmaker.signals import index_compaction_due

    f.need("稀土合金降本需求", "希望找到一种稀土合金及其制备方法。")
    first = [f.patent(f"一种稀土合金{i}", "本发明公开了一种稀土合金。").id for i in range(3)]
    db.session.commit()
    matching.rebuild_indexes()
    service = matching.service()
    service.settings = dataclasses.replace(service.settings, compact_share=0.0, compact_min=1)
    asked: list[str] = []

    def receiver(sender, side):
        asked.append(side)

    index_compaction_due.connect(receiver)
    try:
        more = [f.patent(f"一种稀土合金新{i}", "本发明公开了一种稀土合金。").id for i in range(4)]
        db.session.commit()
        import_follow_up.run("patents", more[:2], [], last=False)
        assert asked == []
        import_follow_up.run("patents", more[2:], [], last=True)
        assert asked == ["patents"]
    finally:
        index_compaction_due.disconnect(receiver)
    assert first  # indexed by the rebuild, before the chain


def _share_with_someone_waiting(queued_only, monkeypatch, interrupt, rows: int = 10,
                                meanwhile=None):
    """Three imported patents in shares of ``rows`` (one record a step) and a need to match;
    after the first step ``interrupt()`` runs (a job queued meanwhile); ``meanwhile()`` runs
    after the chain is stored, before its first share starts. The first share, run as a worker
    runs it, the records' ids and the import job's id. A queued job counts as waiting at once
    (no worker could take it here) unless ``interrupt`` sets ``UNCLAIMED_SECONDS`` again."""
    from flask import current_app

    from matchmaker.services import import_follow_up

    monkeypatch.setattr(import_follow_up, "STEP", 1)
    monkeypatch.setattr(import_follow_up, "UNCLAIMED_SECONDS", 0)
    monkeypatch.setitem(current_app.config, "IMPORT_FOLLOW_UP_ROWS", rows)
    uni = f.org(OrgKind.UNIVERSITY)
    uploader = f.user(Role.UNIVERSITY, uni, username="fu-yield")
    f.need("稀土合金降本需求", "希望找到一种稀土合金及其制备方法。")
    ids = [f.patent(f"一种稀土合金{i}", "本发明公开了一种稀土合金及其制备方法。", owner=uni).id
           for i in range(3)]
    importer = Job(kind="import_patents", status=JobStatus.SUCCEEDED, created_by_id=uploader.id)
    db.session.add(importer)
    db.session.commit()
    matching.rebuild_indexes()
    chain = import_follow_up.queue("patents", ids, ids, uploader, importer.id)
    share = chain[0]
    importer.result = {"follow_up": chain}
    db.session.commit()
    if meanwhile is not None:
        meanwhile()
    match, calls = import_follow_up._match, []

    def match_then_interrupt(direction, record_id):
        stored = match(direction, record_id)
        calls.append(record_id)
        if len(calls) == 1:  # the first step (one record a step) is done
            interrupt()
        return stored

    monkeypatch.setattr(import_follow_up, "_match", match_then_interrupt)
    assert TASKS["index_imported"](share) == "succeeded"  # as a worker calls it
    db.session.rollback()
    return db.session.get(Job, share), ids, importer.id


def test_a_share_hands_its_rest_to_a_new_share_when_a_person_waits(queued_only, monkeypatch):
    """A need posted while a share of a large import runs waited for the whole share (45 s in
    QA pass 8: 500 records). Now the share stops after its current step and hands the rest to
    a new share, sent after the need's job."""
    from matchmaker.services import jobs

    sent, waiting = queued_only, []

    def post_a_need():
        need = f.need("稀土永磁需求", "希望找到一种稀土永磁材料。")
        db.session.commit()
        waiting.append(jobs.submit("match_need", {"need_id": need.id}).id)

    share, ids, importer = _share_with_someone_waiting(queued_only, monkeypatch, post_a_need)
    rest = db.session.get(Job, share.result["handed_over"]["job"])
    assert share.result["handed_over"] == {"job": rest.id, "records": 2}
    assert share.params["ids"] == share.params["created"] == ids[:1] and share.result["records"] == 1
    assert share.params["then"] == rest.id and share.progress_done == share.progress_total == 1
    assert rest.kind == "index_imported" and rest.status is JobStatus.QUEUED
    assert rest.params["ids"] == rest.params["created"] == ids[1:] and rest.params["then"] is None
    assert rest.task_id == jobs.HELD and rest.created_by_id == share.created_by_id
    assert sent[-2:] == [waiting[0], rest.id]  # the need's job first, then the rest
    assert db.session.get(Job, importer).result["follow_up"] == [share.id, rest.id]
    matched = set(db.session.scalars(select(Match.patent_id).where(Match.patent_id.in_(ids))))
    assert matched == {ids[0]}  # the records after the step wait for the new share

    client = current_app_client(share.created_by_id)
    page = client.get(f"/jobs/{share.id}").get_data(as_text=True)
    assert "为让有人等待的任务先运行，本任务已将其余 2 条记录交给" in page
    assert f'href="/jobs/{rest.id}"' in page

    db.session.get(Job, waiting[0]).status = JobStatus.SUCCEEDED  # the need's job ran
    db.session.commit()
    assert TASKS["index_imported"](rest.id) == "succeeded"
    db.session.rollback()
    matched = set(db.session.scalars(select(Match.patent_id).where(Match.patent_id.in_(ids))))
    assert matched == set(ids) and "handed_over" not in db.session.get(Job, rest.id).result


def test_the_chains_next_share_takes_the_rest_so_the_list_does_not_grow(queued_only,
                                                                       monkeypatch):
    """A busy portal (a need posted every few seconds) must not split a large import into a
    thousand jobs: the rest goes first into the next share, which still waits its turn."""
    from matchmaker.services import jobs

    sent = queued_only

    def post_a_need():
        need = f.need("稀土永磁需求", "希望找到一种稀土永磁材料。")
        db.session.commit()
        jobs.submit("match_need", {"need_id": need.id})

    share, ids, importer = _share_with_someone_waiting(queued_only, monkeypatch, post_a_need,
                                                       rows=2)
    taker = db.session.get(Job, share.params["then"])
    assert share.params["ids"] == ids[:1]
    assert share.result["handed_over"] == {"job": taker.id, "records": 1}
    assert taker.params["ids"] == taker.params["created"] == [ids[1], ids[2]]
    assert taker.task_id == jobs.HELD and sent[-1] == taker.id
    assert db.session.get(Job, importer).result["follow_up"] == [share.id, taker.id]


def test_a_need_posted_before_the_first_share_started_lets_it_yield_too(queued_only,
                                                                         monkeypatch):
    """Posted while the import wrote its rows, the need's job is queued behind the first share
    (sent at the end of the import job) and waited 62.9 s for all of it
    (bench_need_during_import.py --during rows): it counts from the chain's creation."""
    from matchmaker.services import jobs

    def post_a_need():
        need = f.need("稀土永磁需求", "希望找到一种稀土永磁材料。")
        db.session.commit()
        jobs.submit("match_need", {"need_id": need.id})

    share, ids, _ = _share_with_someone_waiting(queued_only, monkeypatch, lambda: None,
                                                meanwhile=post_a_need)
    assert share.params["ids"] == ids[:1] and share.result["handed_over"]["records"] == 2


def current_app_client(user_id: int):
    """A test client logged in as ``user_id`` (password "password-123")."""
    from flask import current_app

    from matchmaker.records import User

    client = current_app.test_client()
    assert f.login(client, db.session.get(User, user_id).username, "password-123").status_code == 302
    return client


@pytest.mark.parametrize("queued", ["before the share started", "a bulk job", "just now"])
def test_a_share_does_not_yield_to_bulk_jobs_or_to_jobs_older_than_itself(queued_only, monkeypatch,
                                                                          queued):
    """Another import's share, a compaction or a job whose message was lost before the share
    began (nobody may ever take it) must not cut the share into one job per step; nor a job
    queued a moment ago, which a free interactive worker is about to take (with two workers a
    share handed its rest over for nothing: bench_need_during_import.py)."""
    from datetime import timedelta

    from matchmaker.records import utcnow
    from matchmaker.services import import_follow_up, jobs

    def queue_one():
        if queued == "a bulk job":
            jobs.submit("compact_index", {})
            return
        if queued == "just now":
            monkeypatch.setattr(import_follow_up, "UNCLAIMED_SECONDS", 60.0)
            need = f.need("稀土永磁需求", "希望找到一种稀土永磁材料。")
            db.session.commit()
            jobs.submit("match_need", {"need_id": need.id})
            return
        old = jobs.submit("match_need", {"need_id": 1})
        old.created_at = utcnow() - timedelta(minutes=5)
        db.session.commit()

    share, ids, _ = _share_with_someone_waiting(queued_only, monkeypatch, queue_one)
    assert "handed_over" not in share.result and share.params["ids"] == ids
    assert share.result["records"] == 3 and share.params["then"] is None
