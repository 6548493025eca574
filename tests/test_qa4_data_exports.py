"""QA pass 4 (data), sections 3 and 12: an export imported back changes nothing (the formula
guard is one leading quote, removed again on import), and its Content-Type names the charset
once."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.ingest import import_needs, import_patents
from matchmaker.ingest.columns import NEED_FIELDS, PATENT_FIELDS, ColumnMapper
from matchmaker.records import Need, OrgKind, Patent, Role
from matchmaker.services.exports import XLSX_MIME, escape_cell, need_table, patent_table
from tests import factories as f
from tests.pairs import client_as

# Text as people write it: separators followed by signs, quotes, and formula signs in front.
PATENT_TEXT = {
    "title": "导出往返测试 温度,-5 度",
    "abstract": '本发明的配比为 1:2, -3; +4，温度 "-5" 到 +40。',
    "applicants": "=SUM(A1:A2) 大学",
    "inventors": "@x 张三",
    "technical_field": "'=引号在前的文字",  # a quote typed before "=" is text too
}
NEED_TEXT = {
    "title": "=SUM 需求",
    "description": '@x 描述,-5; +4，温度 "-5" 到 +40。',
    "technical_field": "材料; +4 开头",
}
KEYWORDS = ["@钕铁硼", "-矫顽力", "=b"]  # one cell: "'@钕铁硼; -矫顽力; =b"


@pytest.fixture
def web(db_app):
    client_as(db_app, None)  # every request starts without another client's cached user
    return db_app


def counts(result) -> tuple:
    return result.created, result.updated, result.unchanged, result.failed


def test_text_after_a_separator_is_exported_as_it_is():
    for value in ("a,-5", "x; +4", 'say "-5"', "a\t=1", "温度,'-5 度"):
        assert escape_cell(value) == value


def test_a_leading_formula_gets_one_quote_even_behind_typed_quotes():
    """"'=x" as typed gets one more quote: the import removes one and gives back what was typed."""
    for value in ("=SUM(A1)", "@x", "-5", "+4", "\t=1", "'=x", "''-y"):
        assert escape_cell(value) == "'" + value


def export_in(web, username: str, lang: str, path: str) -> bytes:
    """An export downloaded by ``username`` with the portal in ``lang``."""
    client = client_as(web, username)
    client.post(f"/auth/language/{lang}")
    return client.get(path).data


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_patent_export_imports_back_unchanged(web, fmt, lang):
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    user = f.user(Role.UNIVERSITY, uni, username="uni-rt")
    patent = f.patent(owner=uni, number="CN119960030A", filing_date=date(2021, 3, 5),
                      asking_price=Decimal("12.5"), **PATENT_TEXT)
    db.session.commit()
    body = export_in(web, "uni-rt", lang, f"/patents/export.{fmt}")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[1][3] == PATENT_TEXT["title"]  # no quote inserted after ","
        assert rows[1][4] == "'" + PATENT_TEXT["applicants"]

    result = import_patents(body, f"patents.{fmt}", actor=user)
    assert counts(result) == (0, 0, 1, 0), result.errors
    assert not result.warnings, result.warnings  # every exported column is read back
    db.session.expire_all()
    stored = db.session.get(Patent, patent.id)
    assert {key: getattr(stored, key) for key in PATENT_TEXT} == PATENT_TEXT
    assert (stored.asking_price, stored.filing_date) == (Decimal("12.5"), date(2021, 3, 5))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_need_export_imports_back_unchanged(web, fmt, lang):
    ent = f.org(OrgKind.ENTERPRISE, name="包头磁材公司")
    user = f.user(Role.ENTERPRISE, ent, username="ent-rt")
    # A deadline that passed since the need was posted is kept, as the edit form keeps it.
    need = f.need(enterprise=ent, external_ref="QA-RT-1", keywords=KEYWORDS,
                  deadline=date.today() - timedelta(days=30), **NEED_TEXT)
    f.need("另一条需求", enterprise=ent)  # the export's "编号" column (ids) is no need number
    db.session.commit()
    body = export_in(web, "ent-rt", lang, f"/needs/export.{fmt}")

    result = import_needs(body, f"needs.{fmt}", actor=user)
    assert counts(result) == (0, 0, 2, 0), result.errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Need.id))) == 2
    stored = db.session.get(Need, need.id)
    assert {key: getattr(stored, key) for key in NEED_TEXT} == NEED_TEXT
    assert (stored.keywords, stored.external_ref) == (KEYWORDS, "QA-RT-1")


def test_csv_text_cells_are_quoted_and_numbers_not(web):
    """OWASP: every text cell in double quotes (its , ; and tabs separate nothing)."""
    ent = f.org(OrgKind.ENTERPRISE, name="包头磁材公司")
    f.user(Role.ENTERPRISE, ent, username="ent-quoted")
    need = f.need("x;=1+1", enterprise=ent, budget_max=Decimal("80"))
    db.session.commit()
    text = client_as(web, "ent-quoted").get("/needs/export.csv").data.decode("utf-8-sig")
    line = text.splitlines()[1]
    assert line.startswith(f'{need.id},"') and ',"x;=1+1",' in line
    assert ',"",80.00,"' in line  # no budget from (an empty text); budget to a number


def test_exports_name_the_charset_once(web):
    f.user(Role.BROKER, username="broker-ct")
    f.need("需求", enterprise=f.org(OrgKind.ENTERPRISE))
    db.session.commit()
    client = client_as(web, "broker-ct")
    for path in ("/needs/export.csv", "/patents/export.csv"):
        assert client.get(path).headers["Content-Type"] == "text/csv; charset=utf-8"
    for path in ("/needs/export.xlsx", "/patents/export.xlsx"):
        answer = client.get(path)
        assert answer.headers["Content-Type"] == XLSX_MIME
        assert load_workbook(io.BytesIO(answer.data)).active.max_row >= 1


# Export columns that no import field takes: the database id, the posting time and the
# organisation's contacts (kept on the organisation, not on the record).
NOT_IMPORTED = {"ID", "编号", "Posted at", "发布时间", "Contact person", "联系人", "Contact phone",
                "联系电话", "Contact email", "联系邮箱"}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_exported_column_is_read_back_by_the_import(db_app, lang):
    """A file exported in English is imported whole too: before, its "Asking price (10k yuan)",
    "Annual fee due", "Reference", "Budget from/to", "League or city" and "County or district"
    columns were ignored (an edited price was silently dropped)."""
    broker = f.user(Role.BROKER, username="broker-cols")
    tables = {"patents": (patent_table, PATENT_FIELDS), "needs": (need_table, NEED_FIELDS)}
    with db_app.test_request_context(), force_locale(lang):
        for name, (table, fields) in tables.items():
            headers, _ = table([], broker)
            mapper = ColumnMapper(fields)
            unread = [h for h in headers if h not in NOT_IMPORTED and mapper.field_for(h) is None]
            assert not unread, (name, unread)
            assert len({mapper.field_for(h) for h in headers if h not in NOT_IMPORTED}) == len(
                [h for h in headers if h not in NOT_IMPORTED])  # no two columns feed one field
