"""The booklet's PDF is laid out by a job and kept under a key of everything it prints: a
click serves the kept file, a changed fact or language gets a new one, never a stale one."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask import g, request_started
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select

from matchmaker.booklet import build_booklet, resolve_font
from matchmaker.booklet import pdf as pdf_module
from matchmaker.booklet.cache import booklet_dir, booklet_key
from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, LicenceMode, Role
from tests import factories as f
from tests.test_booklet import _event, _font_or_skip, _text


def _fresh_login_cache(sender, **extra):
    g.pop("_login_user", None)


@pytest.fixture
def laid_out(monkeypatch):
    """Counts the PDFs laid out (the seconds-long step the kept file saves)."""
    calls = []
    real = pdf_module.render_pdf

    def counting(booklet, font):
        calls.append(booklet.event.id)
        return real(booklet, font)

    monkeypatch.setattr(pdf_module, "render_pdf", counting)
    return calls


def _client(app, role=Role.BROKER):
    user = f.user(role)
    db.session.commit()
    request_started.connect(_fresh_login_cache, app)
    client = app.test_client()
    f.login(client, user.username)
    return client


def _job_id(response) -> int:
    """The job a click queued; closing the answer, as a server does once it is sent, runs an
    eager job now."""
    response.close()
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/jobs/") and location.endswith("?open=1"), location
    return int(location.removesuffix("?open=1").rsplit("/", 1)[1])


def _pdf_text(data: bytes) -> str:
    return "".join(_text(page) for page in PdfReader(io.BytesIO(data)).pages)


def test_a_click_queues_the_layout_once_then_the_kept_pdf_is_served(app, laid_out):
    _font_or_skip(app)
    e, titles = _event()
    client = _client(app)
    job_id = _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.kind == "booklet" and job.status is JobStatus.SUCCEEDED, job.error
    assert job.result["rendered"] is True and job.result["patents"] == 3
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and "打开成果汇编（PDF）" in page.text
    made = f"/events/{e.id}/booklet.pdf?job={job_id}"  # what this job made
    assert f'href="{made}"' in page.text
    # where the click led (?open=1): a booklet made already opens at once
    opened = client.get(f"/jobs/{job_id}?open=1")
    assert opened.status_code == 302 and opened.headers["Location"] == made
    first = client.get(f"/events/{e.id}/booklet.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and "inline" in first.headers["Content-Disposition"]
    assert all(title in _pdf_text(first.data) for title in titles)
    again = client.get(f"/events/{e.id}/booklet.pdf")
    assert again.status_code == 200 and again.data == first.data
    assert laid_out == [e.id]  # laid out once, served twice
    assert db.session.scalar(select(func.count(Job.id))) == 1


def test_a_changed_printed_fact_lays_out_a_new_booklet_and_drops_the_old_file(app, laid_out):
    _font_or_skip(app)
    e, titles = _event()
    client = _client(app)
    _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    assert client.get(f"/events/{e.id}/booklet.pdf").status_code == 200
    e.listings[0].patent.title = "一种改名后的稀土永磁体"
    db.session.commit()
    _job_id(client.get(f"/events/{e.id}/booklet.pdf"))  # not the stale file
    fresh = client.get(f"/events/{e.id}/booklet.pdf")
    assert fresh.status_code == 200 and "一种改名后的稀土永磁体" in _pdf_text(fresh.data)
    assert len(laid_out) == 2
    assert len(list(booklet_dir(app.instance_path).glob(f"event-{e.id}-*.pdf"))) == 1


def test_each_language_has_its_own_booklet(app, laid_out):
    _font_or_skip(app)
    e, _titles = _event()
    client = _client(app)
    _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    chinese = client.get(f"/events/{e.id}/booklet.pdf").data
    assert client.post("/auth/language/en", data={"next": "/"}).status_code == 302
    job_id = _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    assert db.session.get(Job, job_id).params["locale"] == "en"
    english = client.get(f"/events/{e.id}/booklet.pdf").data
    assert "Booklet of results" in _pdf_text(english)
    assert "成果汇编" in _pdf_text(chinese) and "Booklet of results" not in _pdf_text(chinese)
    # each language keeps its own file: back in Chinese, the click opens at once
    assert len(list(booklet_dir(app.instance_path).glob(f"event-{e.id}-*.pdf"))) == 2
    assert client.post("/auth/language/zh_CN", data={"next": "/"}).status_code == 302
    again = client.get(f"/events/{e.id}/booklet.pdf")
    assert again.status_code == 200 and again.data == chinese
    assert len(laid_out) == 2


def test_the_job_page_opens_what_the_job_made_even_where_the_web_keys_it_otherwise(
        app, laid_out, monkeypatch):
    """QA, stop 35: a web worker started after a deploy keyed the booklet with other code than
    the job worker; each click then queued a job whose PDF the page never found. The job's
    page now opens the file that job made; another user's job id opens nothing."""
    from matchmaker.booklet import cache

    _font_or_skip(app)
    e, _titles = _event()
    client = _client(app)
    job_id = _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    monkeypatch.setattr(cache, "CODE_DIGEST", "other code")
    opened = client.get(f"/jobs/{job_id}?open=1")
    assert opened.status_code == 302
    pdf = client.get(opened.headers["Location"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert len(laid_out) == 1
    # not somebody else's job: their click is keyed afresh
    other = _client(app)
    answer = other.get(f"/events/{e.id}/booklet.pdf?job={job_id}")
    answer.close()
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/jobs/")
    assert answer.headers["Location"] != f"/jobs/{job_id}?open=1"


def test_a_waiting_booklet_job_is_not_queued_twice(app):
    _font_or_skip(app)
    app.config["JOBS_EAGER"] = False
    app.extensions["celery"].conf.task_always_eager = False
    app.config["JOB_BROKER_URL"] = "memory://"
    app.extensions["celery"].conf.broker_url = "memory://"
    e, _titles = _event()
    client = _client(app)
    first = _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    second = _job_id(client.get(f"/events/{e.id}/booklet.pdf"))
    assert first == second
    job = db.session.get(Job, first)
    assert job.status is JobStatus.QUEUED
    page = client.get(f"/jobs/{first}")
    assert f'data-job-done-url="/events/{e.id}/booklet.pdf?job={first}"' in page.text
    assert "成果汇编正在排版" in page.text
    other = _client(app)  # another user's click: a job of their own (they may see only theirs)
    assert _job_id(other.get(f"/events/{e.id}/booklet.pdf")) != first


def test_the_key_covers_every_printed_fact(app):
    """Each change below shows in the PDF, so each must change the key; reading again changes
    nothing."""
    font = _font_or_skip(app)
    e, _titles = _event()

    def key(locale="zh_CN", used_font=font):
        db.session.expire_all()
        with force_locale(locale):
            return booklet_key(build_booklet(e, app.config), used_font, locale)

    before = key()
    assert key() == before
    patent = e.listings[0].patent
    changes = [
        lambda: setattr(patent, "claims", "1. 一种新的权利要求。"),
        lambda: setattr(patent, "asking_price", Decimal("99.5")),
        lambda: setattr(patent, "licensing_modes", [LicenceMode.EXCLUSIVE]),
        lambda: setattr(patent, "ipc_codes", ["H01F 1/057", "C22C 38/00"]),
        lambda: setattr(patent.owner, "name", "包头某研究院"),
        lambda: setattr(e.listings[1], "on_stage", not e.listings[1].on_stage),
        lambda: setattr(e.listings[2], "summary", "新的通俗介绍"),
        lambda: setattr(e.listings[0], "position", 99),
        lambda: setattr(e, "venue", "呼和浩特"),
        lambda: setattr(e, "theme", "新的主题"),
    ]
    seen = {before}
    for change in changes:
        change()
        db.session.commit()
        now = key()
        assert now not in seen
        seen.add(now)
    assert key("en") not in seen
    assert key(used_font=resolve_font({**app.config, "BOOKLET_FONT": __file__})) not in seen
