"""An import job whose worker was killed (QA pass 5, defect A1): the retry found the rows the
killed attempt had committed "unchanged", so they were never indexed, matched or announced, and
the report said 未变化 for rows the file had just added. Rows written since the job was queued
now count as this import's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.ingest import import_patents, service
from matchmaker.records import OrgKind, utcnow
from matchmaker.services import matching
from matchmaker.signals import patent_listed
from tests import factories as f

HEADER = "公开号,专利名称,摘要,IPC分类号,法律状态,许可方式"


def _csv(n: int) -> bytes:
    rows = [f"CN12{i:07d}A,一种稀土合金{i},本发明公开了一种稀土合金及其制备方法。,C22C 19/00,有效,转让"
            for i in range(n)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def watched(db_app, monkeypatch):
    """What reaches the index and the alert subscribers."""
    seen = {"synced": [], "listed": []}
    monkeypatch.setattr(matching, "sync_patents", lambda ids: seen["synced"].extend(ids))

    def listed(sender, patent_id, **_kw):
        seen["listed"].append(patent_id)

    patent_listed.connect(listed)
    yield seen
    patent_listed.disconnect(listed)


def _killed_after_commit(monkeypatch, data: bytes, owner):
    """The first attempt: every row committed, then the worker died before indexing them."""
    with monkeypatch.context() as m:
        m.setattr(service, "_after_commit", lambda result, notify: None)
        return import_patents(data, "p.csv", owner=owner)


def test_a_retry_indexes_matches_and_announces_what_the_killed_attempt_committed(
        db_app, watched, monkeypatch):
    uni = f.org(OrgKind.UNIVERSITY)
    db.session.commit()
    queued = utcnow() - timedelta(seconds=1)
    first = _killed_after_commit(monkeypatch, _csv(3), uni)
    assert first.created == 3 and watched == {"synced": [], "listed": []}

    retry = import_patents(_csv(4), "p.csv", owner=uni, resumed_since=queued)
    assert (retry.created, retry.updated, retry.unchanged) == (4, 0, 0)
    assert sorted(watched["synced"]) == sorted(retry.changed_ids) and len(retry.changed_ids) == 4
    assert sorted(watched["listed"]) == sorted(retry.created_ids)


def test_rows_written_before_the_job_was_queued_stay_unchanged(db_app, watched, monkeypatch):
    uni = f.org(OrgKind.UNIVERSITY)
    db.session.commit()
    _killed_after_commit(monkeypatch, _csv(2), uni)  # an earlier import of the same file
    later_job = utcnow() + timedelta(seconds=1)
    again = import_patents(_csv(2), "p.csv", owner=uni, resumed_since=later_job)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert watched == {"synced": [], "listed": []}
    first_try = import_patents(_csv(2), "p.csv", owner=uni)  # not a retry: nothing to resume
    assert first_try.unchanged == 2


def test_a_retry_attempt_of_the_job_passes_when_it_was_queued(db_app):
    from matchmaker.jobs.imports import _resumed
    from matchmaker.jobs.registry import JobContext
    from matchmaker.records import Job

    job = Job(kind="import_patents", params={}, attempts=1, created_at=utcnow())
    assert _resumed(JobContext(job)) is None
    job.attempts = 2
    assert _resumed(JobContext(job)) == job.created_at
