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


def test_quick_edits_of_one_record_share_its_waiting_matching_job(app_factory):
    """Six saves of one patent queued six jobs that each encoded and matched it (QA pass 5). A
    job still waiting reads the record when it starts, so it takes later edits too; once it
    runs, the next edit queues a new one."""
    from matchmaker.services.records import Saved, _after_save
    from tests import factories as f

    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"edits-{uuid.uuid4().hex[:8]}"})
    with app.app_context():
        patent, other = f.patent("一种稀土合金"), f.patent("一种风电叶片")
        db.session.commit()
        first = _after_save(Saved(patent, created=False))
        again = _after_save(Saved(patent, created=False))
        elsewhere = _after_save(Saved(other, created=False))
        assert again.job_id == first.job_id and elsewhere.job_id != first.job_id
        running = db.session.get(Job, first.job_id)
        running.status = JobStatus.RUNNING
        db.session.commit()
        later = _after_save(Saved(patent, created=False))
        assert later.job_id not in (first.job_id, elsewhere.job_id)
        kinds = list(db.session.scalars(select(Job.kind).where(Job.kind == "match_patent")))
        assert len(kinds) == 3
