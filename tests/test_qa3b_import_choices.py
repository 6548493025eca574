"""An unknown value in a choice column (许可方式, 法律状态, ...) lists the accepted values in the
reader's language: the codes in English, the Chinese names in Chinese, however the report
was stored."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import g
from flask_babel import refresh

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.ingest import import_patents
from matchmaker.ingest.columns import LEGAL_STATUS_NAMES, LICENCE_NAMES
from matchmaker.ingest.values import enum_parser
from matchmaker.jobs.imports import report
from matchmaker.reasons import render, stored
from matchmaker.records import Job, JobStatus, Role
from tests import factories as f

CSV = ("公开号,专利名称,摘要,法律状态,许可方式\n"
       "CN119000201A,一种稀土抛光粉回收方法,本发明公开了一种稀土抛光粉回收方法。,active,licence\n").encode()

WANTED = {
    "zh_CN": ["（可选：转让、独占许可、普通许可、开放许可）", "（可选：有效、审中、失效、届满）"],
    "en": ["(accepted: transfer, exclusive, ordinary, open)",
           "(accepted: valid, pending, lapsed, expired)"],
}


def _refused(names, value: str):
    with pytest.raises(ValidationError) as caught:
        enum_parser(names)(value)
    return caught.value.args[0]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_reason_lists_the_values_of_the_readers_language(app, locale):
    with app.test_request_context("/?lang=zh_CN"):  # checked on a Chinese screen (or in a job)
        refresh()
        reasons = [_refused(LICENCE_NAMES, "licence"), _refused(LEGAL_STATUS_NAMES, "active")]
    with app.test_request_context(f"/?lang={locale}"):
        refresh()
        for made, wanted in zip(reasons, WANTED[locale], strict=True):
            assert render(made).endswith(wanted), render(made)
            assert render(stored(made)) == render(made)  # as a job keeps it
    refresh()


def test_the_import_report_page_in_both_languages(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    uni = f.user(Role.UNIVERSITY, username="uni1")
    db.session.commit()
    result = import_patents(CSV, "patents.csv", actor=None, dry_run=True)
    job = Job(kind="import_patents", created_by_id=uni.id, status=JobStatus.SUCCEEDED,
              params={"filename": "patents.csv"}, result=report(result), attempts=1)
    db.session.add(job)
    db.session.commit()
    for locale in ("zh_CN", "en"):
        refresh()
        client = app.test_client()
        assert f.login(client, "uni1").status_code == 302
        if locale == "en":
            client.post("/auth/language/en")
        html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
        for wanted in WANTED[locale]:
            assert wanted in text, text
    refresh()


def test_reports_stored_before_still_read(app):
    old = {"msgid": "Unknown value “%(value)s” (one of: %(choices)s)",
           "params": {"value": "licence", "choices": ["转让", "独占许可", "普通许可", "开放许可"]}}
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert render(old) == "取值“licence”无法识别（可选：转让、独占许可、普通许可、开放许可）"
    refresh()
