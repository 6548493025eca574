"""Import reasons are msgids with parameters (issue 10, point 3): a job stores them as such and the
report page, the API and the CLI show them in their reader's language; reports stored before
this (plain Chinese strings) are still shown as they are."""

from __future__ import annotations

import json
import re
from html import unescape

from flask import g
from flask_babel import refresh

from matchmaker.extensions import db
from matchmaker.ingest import import_patents
from matchmaker.jobs.imports import report, save_bytes
from matchmaker.reasons import reason, render, stored
from matchmaker.records import Job, JobStatus, Role
from matchmaker.services import jobs
from matchmaker.services import matching as matching_service
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.script_text import other_script

CSV = ("公开号,专利名称,摘要,申请日,报价\n"
       "CN119000101A,一种稀土抛光粉回收方法,本发明公开了一种稀土抛光粉回收方法。,2021-02-30,-5\n"
       "BAD-NUMBER,一种坏行,本发明公开了一种坏行。,2021-03-05,10\n"
       "CN119000102A,,本发明公开了一种没有名称的方法。,2021-03-05,10\n").encode()
USER_TEXT = CSV.decode() + "\npatents.csv"


def test_a_reason_renders_again_in_the_current_language(app):
    with app.test_request_context("/?lang=en"):
        refresh()
        made = reason("No worksheet “%(sheet)s”; the file has: %(names)s", sheet="x", names=["a", "b"])
        assert made == "No worksheet “x”; the file has: a, b"
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert render(made) == "工作表“x”不存在；文件中的工作表：a、b"
        assert render(stored(made)) == render(made)  # the JSON form a job keeps
        assert render("旧版报告里的原因") == "旧版报告里的原因"  # stored before: shown as it is
    refresh()


def _job(user, content: bytes) -> Job:
    db.session.commit()  # a dry run rolls the session back: keep the user
    result = import_patents(content, "patents.csv", actor=None, dry_run=True)
    job = Job(kind="import_patents", created_by_id=user.id, status=JobStatus.SUCCEEDED,
              params={"filename": "patents.csv"}, result=report(result), attempts=1)
    db.session.add(job)
    db.session.commit()
    return job


def _signed_in(app, username: str, locale: str):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    if locale == "en":
        client.post("/auth/language/en")
    return client


def _table(html: str) -> str:
    start = html.index('<section class="card import-report"')
    return html[start:html.index("</section>", start)]


def _text(html: str) -> str:
    """What the page shows, less the cells marked as user data (the file's own headers)."""
    shown = re.sub(r"<td data-user>.*?</td>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", shown))


def test_the_report_page_speaks_the_readers_language(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    uni = f.user(Role.UNIVERSITY, username="uni1")
    job = _job(uni, CSV)
    assert job.result["errors"][0]["reason"]["msgid"].startswith("Not a date")  # stored as a msgid
    legacy = Job(kind="import_patents", created_by_id=uni.id, status=JobStatus.SUCCEEDED,
                 params={"filename": "old.csv"}, attempts=1,
                 result={"kind": "patents", "filename": "old.csv", "dry_run": False, "rows": 1,
                         "created": 0, "updated": 0, "unchanged": 0, "failed": 1,
                         "warnings": ["未识别的列（已忽略）：备注"], "errors_total": 1,
                         "errors": [{"row": 2, "where": "申请日", "field": "filing_date",
                                     "column": "申请日", "reason": "日期不正确：'2021-02-30'"}]})
    db.session.add(legacy)
    db.session.commit()
    for locale in ("zh_CN", "en"):
        refresh()
        page = _table(_signed_in(app, "uni1", locale).get(f"/jobs/{job.id}").get_data(True))
        assert other_script(_text(page), locale, USER_TEXT) == [], page
        assert ("日期不正确" in page) == (locale == "zh_CN")
        assert ("Not a date" in page) == (locale == "en")
        assert ("公开号格式不正确" if locale == "zh_CN" else "Not a publication number") in page
        assert ("必填字段为空" if locale == "zh_CN" else "A required field is empty") in page
        old = _signed_in(app, "uni1", locale).get(f"/jobs/{legacy.id}").get_data(True)
        assert "日期不正确：&#39;2021-02-30&#39;" in old and "未识别的列（已忽略）：备注" in old
    refresh()


def test_the_api_report_speaks_the_readers_language(app):
    uni = f.user(Role.UNIVERSITY)
    job = _job(uni, CSV)
    client = app.test_client()
    for locale, words in (("zh_CN", "日期不正确"), ("en", "Not a date")):
        refresh()
        answer = client.get(f"/api/v1/imports/{job.id}?lang={locale}", headers=bearer(token_for(uni)))
        reasons = [e["reason"] for e in answer.get_json()["report"]["errors"]]
        assert words in reasons[0] and all(isinstance(r, str) for r in reasons)
    refresh()


# --- a whole import that fails, and other job results (issue 10: stored language-neutral) ---

GARBAGE = b"\x80\x81\xff\xfe\x00"  # not text: the file as a whole is refused


def test_a_failed_import_stores_its_reason_and_each_reader_sees_their_language(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    uni = f.user(Role.UNIVERSITY, username="uni1")
    db.session.commit()
    path = save_bytes(GARBAGE, "garbage.csv")
    job = jobs.submit("import_patents", {"path": str(path), "filename": "garbage.csv",
                                         "actor_id": uni.id}, user=uni)  # eager in tests
    assert job.status is JobStatus.FAILED
    assert json.loads(job.error)["msgid"].startswith("Unknown text encoding")
    legacy = Job(kind="import_patents", created_by_id=uni.id, status=JobStatus.FAILED,
                 params={"filename": "old.csv"}, attempts=1, error="文件不是有效的表格（旧版记录）")
    db.session.add(legacy)
    db.session.commit()
    runner = app.test_cli_runner()
    for locale, words in (("zh_CN", "无法识别文件编码"), ("en", "Unknown text encoding")):
        refresh()
        client = _signed_in(app, "uni1", locale)
        page = client.get(f"/jobs/{job.id}").get_data(True)
        error = page[page.index('data-job-field="error"'):]
        error = unescape(error[error.index(">") + 1:error.index("</p>")])
        assert words in error and other_script(error, locale) == [], error
        assert words in client.get(f"/jobs/{job.id}/status").get_json()["error"]
        assert words in client.get("/jobs/").get_data(True)
        refresh()
        api = app.test_client().get(f"/api/v1/imports/{job.id}?lang={locale}",
                                    headers=bearer(token_for(uni))).get_json()
        assert words in api["error"] and other_script(api["error"], locale) == []
        refresh()
        listed = runner.invoke(args=["jobs", "list", "--status", "failed"],
                               env={"MATCHMAKER_LANGUAGE": locale, "LANGUAGE": None}).output
        assert words in listed and "文件不是有效的表格（旧版记录）" in listed
        assert "文件不是有效的表格（旧版记录）" in client.get(f"/jobs/{legacy.id}").get_data(True)
    refresh()


def test_a_job_result_speaks_the_readers_language(app, monkeypatch):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    def engine_away(*args, **kwargs):
        raise RuntimeError("index unavailable")

    admin = f.user(Role.ADMIN, username="root")
    need = f.need()
    db.session.commit()
    monkeypatch.setattr(matching_service, "match_and_store_need", engine_away)
    matched = jobs.submit("match_need", {"need_id": need.id})  # the engine fails: a warning
    assert matched.status is JobStatus.SUCCEEDED
    assert matched.result["warnings"][0]["msgid"].startswith("The matching engine could not")
    trained = Job(kind="train_reranker", status=JobStatus.SUCCEEDED, attempts=1,
                  created_by_id=admin.id, result={"version": "v3", "activate": False,
                                                  "reason": "too_few_decisions"})
    db.session.add(trained)
    db.session.commit()
    for locale, words in (("zh_CN", ["匹配引擎暂时无法处理", "提示", "训练期之后的决定太少", "否"]),
                          ("en", ["The matching engine could not process", "Warnings",
                                  "Too few decisions after the training window", "No"])):
        refresh()
        client = _signed_in(app, "root", locale)
        shown = ""
        for job in (matched, trained):
            page = client.get(f"/jobs/{job.id}").get_data(True)
            result = page[page.index('<dl class="counts">', page.index("</section>")):]
            shown += _text(result[:result.index("</dl>")])
        assert all(word in shown for word in words), shown
        assert other_script(shown, locale, "v3") == [], shown
    refresh()


def test_two_columns_of_one_field_are_named_in_the_readers_language(app):
    """The English report said "feed the same field (专利名称)" (QA, stop 34): the field is
    named by an English column name in English and by its label in Chinese."""
    made = import_patents("公开号,Title,标题,摘要\nCN119000201A,A,甲,本发明公开了一种方法。\n"
                          .encode(), "p.csv", actor=None, dry_run=True).warnings[0]
    with app.test_request_context("/?lang=en"):
        refresh()
        assert render(stored(made)) == ("The columns “标题” and “Title” feed the same field "
                                        "(title); “标题” was ignored")
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert render(stored(made)) == "列“标题”与列“Title”对应同一字段（专利名称），已忽略“标题”"
    refresh()
