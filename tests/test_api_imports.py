"""Bulk import through the API: an asynchronous job with a status and the per-row report."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, Need, Patent, Role
from tests import factories as f
from tests.api_support import bearer, token_for

CSV = ("公开号,标题,摘要,IPC\n"
       "CN119000101A,一种稀土抛光粉回收方法,本发明公开了一种稀土抛光粉回收方法。,C22B 59/00\n"
       "BAD-NUMBER,一种坏行,摘要,C22B 59/00\n").encode()


def test_import_job_runs_after_the_response_and_reports_rows(app):
    user = f.user(Role.UNIVERSITY)
    auth = bearer(token_for(user))
    client = app.test_client()
    answer = client.post("/api/v1/imports/patents?filename=patents.csv", data=CSV,
                         headers={**auth, "Content-Type": "text/csv"})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job = answer.get_json()
    assert job["status"] in ("queued", "finished") and answer.headers["Location"].endswith(
        f"/imports/{job['id']}")
    queued = client.get(f"/api/v1/imports/{job['id']}", headers=auth).get_json()
    assert queued["status"] == "queued" and queued["report"] is None
    record = db.session.get(Job, job["id"])
    assert record.kind == "import_patents" and record.created_by_id == user.id
    upload = Path(record.params["path"])
    assert upload.is_file() and record.task_id is None  # nothing sent inside the request
    answer.close()  # what a WSGI server does once it has sent the answer: the job runs now
    status = client.get(f"/api/v1/imports/{job['id']}", headers=auth).get_json()
    assert status["status"] == "finished"
    report = status["report"]
    assert (report["rows"], report["created"], report["failed"]) == (2, 1, 1)
    assert report["errors"][0]["row"] == 3 and report["errors"][0]["field"] == "publication_number"
    # The new patent is indexed, matched and announced by a follow-up job (eager here).
    assert report["matching"] == {"status": "finished", "records": 1, "records_done": 1}
    assert db.session.scalar(select(func.count(Patent.id))) == 1
    assert not upload.exists()  # the file is not kept
    assert db.session.get(Job, job["id"]).status is JobStatus.SUCCEEDED


def test_import_rights_and_job_privacy(app):
    uni = f.user(Role.UNIVERSITY)
    ent = f.user(Role.ENTERPRISE)
    client = app.test_client()
    refused = client.post("/api/v1/imports/patents?filename=p.csv", data=CSV,
                          headers={**bearer(token_for(ent)), "Content-Type": "text/csv"})
    assert refused.status_code == 403
    made = client.post("/api/v1/imports/patents?filename=p.csv", data=CSV,
                       headers={**bearer(token_for(uni)), "Content-Type": "text/csv"})
    job_id = made.get_json()["id"]
    other = client.get(f"/api/v1/imports/{job_id}", headers=bearer(token_for(ent)))
    assert other.status_code == 404
    empty = client.post("/api/v1/imports/needs?filename=n.csv", data=b"",
                        headers={**bearer(token_for(ent)), "Content-Type": "text/csv"})
    assert empty.status_code == 422


def test_unreadable_file_fails_the_job_with_a_reason(app):
    user = f.user(Role.ENTERPRISE)
    auth = bearer(token_for(user))
    client = app.test_client()
    made = client.post("/api/v1/imports/needs?filename=needs.csv", data=b"a,b\n1,2\n",
                       headers={**auth, "Content-Type": "text/csv"})
    made.close()
    status = client.get(f"/api/v1/imports/{made.get_json()['id']}", headers=auth).get_json()
    assert status["status"] == "failed" and status["error"]


NEEDS = ("需求名称,需求描述\n"
         "焦炉煤气制氢,希望利用焦炉煤气制取高纯氢气，纯度不低于99.99%。\n").encode()


def test_needs_import_is_a_job_listed_for_its_owner(app):
    from tests.pairs import client_as

    user = f.user(Role.ENTERPRISE, username="ent-importer")
    auth = bearer(token_for(user))
    client = app.test_client()
    made = client.post("/api/v1/imports/needs?filename=needs.csv", data=NEEDS,
                       headers={**auth, "Content-Type": "text/csv"})
    made.close()
    status = client.get(f"/api/v1/imports/{made.get_json()['id']}", headers=auth).get_json()
    assert status["status"] == "finished", status
    assert status["report"]["created"] == 1 and status["progress_done"] >= 1
    assert db.session.scalar(select(func.count(Need.id))) == 1
    page = client_as(app, "ent-importer").get("/jobs/")
    assert page.status_code == 200 and "需求导入" in page.get_data(as_text=True)


def test_the_report_counts_the_follow_up_jobs_as_one_matching_status(app):
    from matchmaker.api.imports import _matching

    def follow_up(status, done, n):
        job = Job(kind="index_imported", status=status, progress_done=done, progress_total=n,
                  params={"kind": "patents", "ids": list(range(n)), "created": []})
        db.session.add(job)
        db.session.flush()
        return job

    first, second = follow_up(JobStatus.RUNNING, 3, 5), follow_up(JobStatus.QUEUED, 0, 5)
    ids = [first.id, second.id]
    assert _matching(ids).model_dump() == {"status": "running", "records": 10, "records_done": 3}
    first.status, second.status = JobStatus.SUCCEEDED, JobStatus.SUCCEEDED
    assert _matching(ids).model_dump() == {"status": "finished", "records": 10,
                                           "records_done": 10}
    second.status = JobStatus.FAILED
    assert _matching(ids).status == "failed"
    first.status = second.status = JobStatus.QUEUED
    assert _matching(ids).status == "queued"
    assert _matching([]) is None
