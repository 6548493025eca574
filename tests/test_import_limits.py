"""Limits and parser errors of bulk imports and uploads (QA report, sections 3, 4, 5 and 11):
an over-long CSV cell is one row's error, a JSON Lines syntax error and an out-of-range year
are told in the reader's language, a file over the upload limit is refused with the limit
named (back on the upload form), and the API refuses an unsupported file type at once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import current_app
from flask_babel import refresh
from sqlalchemy import func, select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.ingest import ImportFileError, import_needs, import_patents
from matchmaker.ingest.dates_and_amounts import parse_date
from matchmaker.reasons import render, stored
from matchmaker.records import Job, Need, Patent, Role
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.pairs import client_as
from tests.script_text import other_script

PROBLEM = "application/problem+json"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _in(locale: str, value) -> str:
    """``value`` (a reason, or its stored JSON form) rendered as a reader in ``locale`` sees it."""
    with current_app.test_request_context(f"/?lang={locale}"):
        refresh()
        shown = render(stored(value))
    refresh()
    return shown


# --- 3. one over-long CSV cell --------------------------------------------------------------

HUGE = 200_000  # over Python csv's default field_size_limit (131,072)


def _hugemid(separator: str = ",") -> bytes:
    rows = [["公开号", "专利名称", "摘要"],
            ["CN119000101A", "一种稀土抛光粉回收方法", "本发明公开了一种稀土抛光粉回收方法。"],
            ["CN119000102A", "一种很长的方法", "长" * HUGE],
            ["CN119000103A", "一种风电齿轮箱诊断方法", "本发明公开了一种风电齿轮箱诊断方法。"]]
    return "\n".join(separator.join(row) for row in rows).encode()


@pytest.mark.parametrize("filename, separator", [("hugemid.csv", ","), ("hugemid.tsv", "\t")])
def test_an_over_long_csv_cell_is_that_rows_error_and_the_other_rows_import(app, filename,
                                                                           separator):
    result = import_patents(_hugemid(separator), filename)
    assert (result.rows, result.created, result.failed) == (3, 2, 1)
    [error] = result.errors
    assert (error.row, error.where) == (3, "摘要")
    assert "超过5000字" in error.reason and "field limit" not in error.reason
    assert other_script(_in("zh_CN", error.reason), "zh_CN") == []
    assert other_script(_in("en", error.reason), "en", "摘要") == []
    assert _count(Patent) == 2
    numbers = set(db.session.scalars(select(Patent.publication_number)))
    assert numbers == {"CN119000101A", "CN119000103A"}  # nothing of row 3 was written


def test_an_over_long_cell_in_an_ignored_column_does_not_fail_the_file(app):
    data = ("公开号,专利名称,摘要,备注\n"
            "CN119000104A,一种方法,本发明公开了一种方法。," + "注" * HUGE + "\n").encode()
    result = import_patents(data, "p.csv")
    assert result.created == 1 and result.errors == []


def test_a_csv_row_over_the_row_limit_is_a_row_error_not_a_failed_file(app):
    app.config["JSONL_MAX_LINE_CHARS"] = 1000  # the same limit as a JSON Lines line
    data = ("需求名称,需求描述,企业名称\n"
            "焦炉煤气制氢,希望利用焦炉煤气制取高纯氢气。,某企业\n"
            "超长需求," + "长" * 5000 + ",某企业\n").encode()
    result = import_needs(data, "n.csv")
    assert result.created == 1
    assert [(e.row, "过长" in e.reason) for e in result.errors] == [(3, True)]
    assert "too long" in _in("en", result.errors[0].reason)
    assert _count(Need) == 1


def test_a_stray_quote_in_a_csv_is_told_without_the_parsers_english(app):
    data = '公开号,专利名称,摘要\nCN119000105A,"一种"方法,摘要\n'.encode()
    with pytest.raises(ImportFileError) as caught:
        import_patents(data, "p.csv")
    told = caught.value.args[0]
    assert "第2行" in told and "expected after" not in told
    assert other_script(_in("zh_CN", told), "zh_CN") == []
    assert "line 2" in _in("en", told)
    assert _count(Patent) == 0


# --- 5. JSON Lines syntax errors -------------------------------------------------------------


def _need(ref: str) -> str:
    return json.dumps({"external_ref": ref, "enterprise": "某企业", "title": "需求" + ref,
                       "description": "描述"}, ensure_ascii=False)


@pytest.mark.parametrize("line, column, zh, en", [
    ("{not json", 2, "键名没有加双引号", "key is not in double quotes"),
    ('{"title" "x"}', 10, "缺少冒号", "colon is missing"),
    ('{"title": "x" "a": 1}', 15, "缺少逗号", "comma is missing"),
    ('{"title": }', 11, "缺少值", "value is missing"),
    ('{"title": "x', 11, "右双引号", "not closed"),
    ('{"a": 1} {"b": 2}', 10, "多个 JSON 值", "more than one JSON value"),
])
def test_a_bad_json_line_is_told_in_the_readers_language(app, line, column, zh, en):
    result = import_needs("\n".join([_need("N-1"), line, _need("N-3")]).encode(), "n.jsonl")
    assert result.created == 2 and _count(Need) == 2
    [error] = result.errors
    assert error.row == 2
    chinese, english = _in("zh_CN", error.reason), _in("en", error.reason)
    assert f"第{column}个字符" in chinese and zh in chinese, chinese
    assert other_script(chinese, "zh_CN") == [], chinese  # no "Expecting property name …"
    assert f"character {column}" in english and en in english, english
    assert other_script(english, "en") == [], english


# --- 11. an out-of-range year ----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2101-01-01", "1899/12/31", "2101年1月1日", 21010101])
def test_a_supported_date_form_with_a_year_out_of_range_is_refused_for_its_year(app, raw):
    with pytest.raises(ValidationError) as caught:
        parse_date(raw)
    told = caught.value.args[0]
    assert "年份须在 1900–2100 之间" in told and "支持 2021-03-05" not in told, told
    assert "must be between 1900 and 2100" in _in("en", told)


def test_an_import_reports_the_year_of_2101(app):
    data = ("公开号,专利名称,摘要,申请日\n"
            "CN119000106A,一种方法,本发明公开了一种方法。,2101-01-01\n").encode()
    [error] = import_patents(data, "p.csv").errors
    assert error.where == "申请日" and "'2101-01-01'" in error.reason
    assert "年份须在 1900–2100 之间" in error.reason and "支持" not in error.reason


# --- 4. a file over the upload limit -----------------------------------------------------------

MB = 1024 * 1024


def _too_big() -> dict:
    return {"file": (io.BytesIO(b"a" * (MB + MB // 5)), "big.csv")}


@pytest.mark.parametrize("locale, words, foreign", [
    ("zh_CN", "文件超过 1 MB 上限，请拆分后分批上传。", "capacity limit"),
    ("en", "The file is larger than the 1 MB limit; split it into smaller files", "过大"),
])
def test_an_upload_over_the_limit_goes_back_to_the_form_with_the_limit_named(app, locale, words,
                                                                             foreign):
    app.config["MAX_CONTENT_LENGTH"] = MB
    f.user(Role.UNIVERSITY, username="uni-big")
    db.session.commit()
    client = client_as(app, "uni-big")
    if locale == "en":
        client.post("/auth/language/en")
    answer = client.post("/patents/upload", data=_too_big(), content_type="multipart/form-data")
    assert answer.status_code == 303 and answer.headers["Location"] == "/patents/upload"
    page = client.get("/patents/upload").get_data(as_text=True)
    assert words in page and foreign not in page
    assert "data value transmitted" not in page and 'enctype="multipart/form-data"' in page
    assert _count(Job) == 0 and _count(Patent) == 0


def test_an_upload_over_the_limit_with_csrf_on_also_goes_back_to_the_form(csrf_app):
    """With CSRF on, the form is parsed (and the 413 raised) before the view runs."""
    csrf_app.config["MAX_CONTENT_LENGTH"] = MB
    client = csrf_app.test_client()
    answer = client.post("/patents/upload", data=_too_big(), content_type="multipart/form-data")
    assert answer.status_code == 303 and answer.headers["Location"] == "/patents/upload"


def test_the_upload_page_names_the_limit_beforehand(app):
    f.user(Role.UNIVERSITY, username="uni-page")
    db.session.commit()
    page = client_as(app, "uni-page").get("/patents/upload").get_data(as_text=True)
    assert "文件大小上限为 20 MB" in page


def test_a_too_large_post_elsewhere_shows_one_sentence_in_the_screens_language(csrf_app):
    csrf_app.config["MAX_CONTENT_LENGTH"] = MB
    client = csrf_app.test_client()
    answer = client.post("/notifications/read", data=_too_big(), content_type="multipart/form-data")
    assert answer.status_code == 413  # a POST-only page: no form to go back to
    page = answer.get_data(as_text=True)
    assert page.count("文件超过 1 MB 上限，请拆分后分批上传。") == 1
    assert "上传的文件过大" not in page and "transmitted" not in page
    json_answer = client.post("/patents/upload", data=_too_big(),
                              content_type="multipart/form-data",
                              headers={"Accept": "application/json"})
    assert json_answer.status_code == 413
    assert json_answer.get_json()["message"] == "文件超过 1 MB 上限，请拆分后分批上传。"


def test_a_form_over_flasks_form_limits_is_not_called_a_large_file(csrf_app):
    """Flask refuses a multipart text field over MAX_FORM_MEMORY_SIZE with 413 too: no file is
    at fault, and the user is not sent away from what they typed (the back button keeps it)."""
    csrf_app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    answer = csrf_app.test_client().post("/patents/upload", data={"owner": "长" * 2000},
                                         content_type="multipart/form-data")
    assert answer.status_code == 413
    page = answer.get_data(as_text=True)
    assert "文本字段过长" in page and "MB" not in page and "transmitted" not in page


def test_the_apis_own_413_problem_is_unchanged(app):
    app.config["MAX_CONTENT_LENGTH"] = MB
    user = f.user(Role.UNIVERSITY)
    answer = app.test_client().post("/api/v1/imports/patents?filename=p.csv", data=b"a" * (MB + 1),
                                    headers={**bearer(token_for(user)), "Content-Type": "text/csv"})
    assert answer.status_code == 413 and answer.content_type == PROBLEM
    assert answer.get_json()["detail"] == f"The request body exceeds {MB} bytes."


# --- 11. the API's import takes only the types a reader exists for -------------------------------


@pytest.mark.parametrize("filename, shown", [("x.exe", ".exe"), ("old.xls", ".xls"),
                                             ("noextension", "noextension")])
def test_the_api_refuses_an_unsupported_file_type_at_once(app, filename, shown):
    user = f.user(Role.UNIVERSITY)
    uploads = Path(app.instance_path) / "uploads"
    before = set(uploads.iterdir()) if uploads.is_dir() else set()
    answer = app.test_client().post(f"/api/v1/imports/patents?filename={filename}", data=b"MZ...",
                                    headers={**bearer(token_for(user)),
                                             "Content-Type": "application/octet-stream"})
    assert answer.status_code == 415 and answer.content_type == PROBLEM
    problem = answer.get_json()
    assert problem["status"] == 415 and shown in problem["detail"] and ".xlsx" in problem["detail"]
    assert problem["errors"][0]["field"] == "filename"
    assert _count(Job) == 0  # no job that fails later
    assert (set(uploads.iterdir()) if uploads.is_dir() else set()) == before  # nothing stored


def test_the_api_still_takes_every_supported_type(app):
    user = f.user(Role.UNIVERSITY)
    for filename in ("p.csv", "p.TSV", "p.xlsx", "p.xlsm", "p.jsonl", "p.ndjson"):
        answer = app.test_client().post(f"/api/v1/imports/patents?filename={filename}", data=b"x",
                                        headers={**bearer(token_for(user)),
                                                 "Content-Type": "application/octet-stream"})
        assert answer.status_code == 202, (filename, answer.get_data(as_text=True))


# --- a damaged worksheet --------------------------------------------------------------------


def test_a_damaged_worksheet_says_what_to_do_without_the_librarys_words(app):
    """The workbook opens but its sheet's XML is broken: the reason once carried openpyxl's
    English ("unclosed token: line 1, column 5") inside the Chinese sentence."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["公开号", "专利名称", "摘要"])
    book.active.append(["CN119000101A", "一种方法", "本发明公开了一种方法。"])
    whole = io.BytesIO()
    book.save(whole)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as source, \
            zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off in the middle of the rows
            target.writestr(item, data)
    with pytest.raises(ImportFileError) as caught:
        import_patents(damaged.getvalue(), "damaged.xlsx")
    assert _in("zh_CN", caught.value.args[0]) == "Excel 文件已损坏，无法读取：请用 Excel 或 WPS 重新另存后再导入"
    assert _in("en", caught.value.args[0]).endswith("save it again in Excel or WPS and import "
                                                     "the new file")
    assert _count(Patent) == 0
