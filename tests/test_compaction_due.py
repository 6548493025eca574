"""Change logs are folded by a background job once they are long enough (issue 13, QA pass 5):
before, nothing queued a compaction, so a log grew for ever and BM25 kept scoring with the
statistics of the last build (a fresh demo kept 12 deleted needs in the needs' document count
and ranked patent -> needs differently from a rebuild until someone ran `compact-index`)."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.jobs.matching import on_compaction_due
from matchmaker.records import Job, JobStatus, NeedStatus
from matchmaker.services import matching
from matchmaker.signals import index_compaction_due
from tests import factories as f


def _world(count: int):
    needs = [f.need(f"第{i}条技术需求：稀土永磁电机", "希望提高稀土永磁电机效率。") for i in range(count)]
    f.patent("一种稀土永磁电机", "本发明提高永磁电机效率。")
    db.session.commit()
    matching.rebuild_indexes()
    return needs


def _compact_at(share: float, least: int):
    service = matching.service()
    service.settings = dataclasses.replace(service.settings, compact_share=share,
                                           compact_min=least)
    return service


def test_a_long_change_log_announces_one_compaction(db_app):
    needs = _world(20)
    service = _compact_at(0.1, 3)  # due at max(3, 10 % of 20) = 3 changed needs
    announced = []

    def receiver(sender, side):
        announced.append(side)

    index_compaction_due.connect(receiver)
    try:
        for need in needs[:3]:
            need.status = NeedStatus.CLOSED  # a closed need leaves the index
            db.session.commit()
            matching.sync_needs([need.id])
    finally:
        index_compaction_due.disconnect(receiver)
    assert announced == ["needs"]  # the third change, not the first two
    assert service.compaction_due("needs") and not service.compaction_due("patents")
    service.compact()
    assert not service.compaction_due("needs")


def test_a_caller_that_compacts_itself_queues_no_compaction(db_app):
    """``flask demo`` syncs its closed needs and compacts at once: a compaction job queued by
    that sync found nothing left to fold (QA pass 5B)."""
    needs = _world(20)
    service = _compact_at(0.1, 3)
    announced = []

    def receiver(sender, side):
        announced.append(side)

    index_compaction_due.connect(receiver)
    try:
        for need in needs[:5]:
            need.status = NeedStatus.CLOSED
        db.session.commit()
        matching.sync_needs([n.id for n in needs[:5]], compact_later=False)
        assert announced == [] and service.compaction_due("needs")
        matching.sync_needs([needs[0].id])  # the default: a long log asks for the job
        assert announced == ["needs"]
    finally:
        index_compaction_due.disconnect(receiver)


def test_a_compaction_folds_removed_documents_out_of_bm25s_statistics(db_app):
    needs = _world(6)
    index = matching.engine().lexical.index
    before = index("needs").idf("稀土")
    for need in needs[:4]:
        need.status = NeedStatus.CLOSED
    db.session.commit()
    matching.sync_needs([n.id for n in needs[:4]])
    assert index("needs").idf("稀土") == before  # the log is scored with the base's statistics
    matching.service().compact()
    assert index("needs").idf("稀土") != before  # two needs left: the rebuilt statistics


def test_a_due_compaction_queues_one_job_and_never_compacts_inline(app_factory):
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"compact-{uuid.uuid4().hex[:8]}"})
    with app.app_context():
        on_compaction_due(None, side="needs")
        on_compaction_due(None, side="patents")  # one is waiting: no second job
        queued = list(db.session.scalars(select(Job).where(Job.kind == "compact_index")))
        assert len(queued) == 1 and queued[0].status is JobStatus.QUEUED
        assert queued[0].params == {"reason": "needs change log due"}


def test_no_compaction_is_queued_while_an_imports_shares_are_still_to_come(app_factory):
    """QA pass 7: a single save between two shares of an import queued a compaction of a log
    the next share lengthened again; the chain's last share asks for it."""
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"compact-{uuid.uuid4().hex[:8]}"})
    with app.app_context():
        share = Job(kind="index_imported", status=JobStatus.QUEUED, task_id="held",
                    params={"kind": "patents", "ids": [1], "created": [], "then": None})
        running = Job(kind="index_imported", status=JobStatus.RUNNING,
                      params={"kind": "patents", "ids": [2], "created": [], "then": share.id})
        db.session.add_all([share, running])
        db.session.commit()
        on_compaction_due(None, side="patents")
        assert db.session.scalar(select(Job.id).where(Job.kind == "compact_index")) is None
        share.status = JobStatus.RUNNING  # the last share runs: it asks, and gets one
        db.session.commit()
        on_compaction_due(None, side="patents")
        assert db.session.scalar(select(Job.id).where(Job.kind == "compact_index")) is not None


def test_eager_mode_never_compacts_inside_the_request(app):
    with app.app_context():
        on_compaction_due(None, side="needs")
        assert db.session.scalar(select(Job.id).where(Job.kind == "compact_index")) is None
