"""A request that meets an unusable index queues one rebuild job and never rebuilds inline."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus
from matchmaker.services.matching_service import request_rebuild


def _build_jobs():
    return list(db.session.scalars(select(Job).where(Job.kind == "build_index")))


def test_an_unusable_index_queues_one_build_job(app_factory):
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"rebuild-{uuid.uuid4().hex[:8]}"})
    with app.test_request_context("/patents/"):
        request_rebuild("patents")
        request_rebuild("needs")  # a second request while the first job waits: no second job
        jobs = _build_jobs()
        assert len(jobs) == 1
        assert jobs[0].status is JobStatus.QUEUED
        assert jobs[0].params == {"reason": "patents index unusable"}


def test_eager_mode_never_rebuilds_inside_the_request(app):
    # app runs jobs eagerly (tests/conftest.py): a queued build would run inside this request.
    with app.test_request_context("/patents/"):
        request_rebuild("patents")
        assert _build_jobs() == []


def test_compaction_is_a_job(app):
    from matchmaker.services import jobs

    with app.app_context():
        job = jobs.submit("compact_index")
        assert job.status is JobStatus.SUCCEEDED, job.error
