"""CSV/XLSX exports: BOM, formula escaping, access rules; list filters on every database."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from flask import g
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.records import (
    Confidentiality,
    LicenceMode,
    Match,
    MatchStatus,
    NeedStatus,
    OrgKind,
    Role,
)
from matchmaker.services.exports import csv_bytes, escape_cell, xlsx_bytes
from tests import factories as f

DANGEROUS = ["=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
             "\t=1+1", "\r=1+1"]


def isolate(app) -> None:
    """conftest keeps one app context pushed, so Flask-Login's cached ``g._login_user`` would
    leak from one request (and client) to the next; forget it before every request."""

    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)


def signed_in(app, username: str):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    return client


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel reads Chinese correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- the escaping itself --------------------------------------------------------------------


def _escaped(value: str) -> str:
    # One leading quote and nothing else (OWASP): the import removes exactly it again.
    return "'" + value


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_get_a_leading_quote(value):
    assert escape_cell(value) == _escaped(value)


@pytest.mark.parametrize("value", ["稀土永磁", "CN114081026A", "", "a=b", "1-2"])
def test_harmless_text_is_unchanged(value):
    assert escape_cell(value) == value


def test_numbers_and_dates_stay_typed():
    assert escape_cell(-5) == -5 and escape_cell(Decimal("-1.5")) == Decimal("-1.5")
    assert escape_cell(date(2026, 1, 1)) == date(2026, 1, 1)


def test_times_are_written_in_the_users_zone_to_the_minute(app):
    """Stored naive UTC; the screens show Beijing time to the minute: so do the exports."""
    from datetime import datetime

    with app.test_request_context():
        rows = read_csv(csv_bytes(["发布时间"], [[datetime(2026, 11, 30, 13, 39, 28, 979843)]]))
    assert rows[1] == ["2026-11-30 21:39"]


def test_csv_bytes_escapes_and_quotes(app):
    body = csv_bytes(["标题", "=header"], [[value, "普通"] for value in DANGEROUS])
    rows = read_csv(body)
    assert rows[0] == ["标题", "'=header"]
    assert [r[0] for r in rows[1:]] == [_escaped(v) for v in DANGEROUS]


def test_xlsx_bytes_has_no_formula_cells(app):
    body = xlsx_bytes(["标题", "金额", "日期"],
                      [[v, Decimal("12.5"), date(2026, 3, 1)] for v in DANGEROUS] +
                      [["控制\x01字符", 1, None]])
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    column = [c.value for c in sheet["A"]][1:]
    # XML stores a carriage return as a line feed; the leading quote is what matters
    assert column[:-1] == [_escaped(v).replace("\r", "\n") for v in DANGEROUS]
    assert column[-1] == "控制字符"
    assert sheet["B2"].value == 12.5 and sheet["C2"].value.date() == date(2026, 3, 1)


# --- exports through the portal ---------------------------------------------------------------


@pytest.fixture
def cast(app):
    isolate(app)
    ent = f.org(OrgKind.ENTERPRISE, name="包头磁材公司", contact_phone="0472-1111111",
                contact_name="=HYPERLINK(\"http://evil\")")
    other = f.org(OrgKind.ENTERPRISE, name="鄂尔多斯化工公司", contact_phone="0477-2222222")
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学", contact_phone="0472-3333333")
    other_uni = f.org(OrgKind.UNIVERSITY, name="内蒙古工业大学")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    f.user(Role.UNIVERSITY, uni, username="uni1")
    f.user(Role.BROKER, username="broker1")
    mine = f.need("=1+1 磁体需求", enterprise=ent, keywords=["@钕铁硼", "-矫顽力"],
                  budget_min=Decimal("50"), budget_max=Decimal("100"))
    f.need("煤化工需求", enterprise=other)
    f.need("保密需求", enterprise=other, confidentiality=Confidentiality.BROKERS)
    f.need("已关闭需求", enterprise=ent, status=NeedStatus.CLOSED)
    patent = f.patent("+一种磁体", owner=uni, applicants="-内蒙古科技大学",
                      contact_note="@王老师 13800000000")
    patent.licensing_modes = [LicenceMode.OPEN]
    f.patent("一种镁合金", owner=other_uni)
    db.session.add(Match(need=mine, patent=patent, score=0.9, status=MatchStatus.RECOMMENDED))
    db.session.commit()
    return app


def test_needs_csv_for_a_broker_has_contacts_and_escaped_cells(cast):
    response = signed_in(cast, "broker1").get("/needs/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    header, body = rows[0], rows[1:]
    assert "联系电话" in header or "Contact phone" in header
    titles = {r[2] for r in body}
    assert titles == {"'=1+1 磁体需求", "煤化工需求", "已关闭需求"}  # no brokers-only need
    mine = next(r for r in body if r[2] == "'=1+1 磁体需求")
    assert mine[5] == "'@钕铁硼; -矫顽力"  # quoted cell: its "; -" starts no cell
    assert "'=HYPERLINK(\"http://evil\")" in mine and "0472-1111111" in mine


def test_needs_export_follows_filters_and_enterprise_scope_without_contacts(cast):
    client = signed_in(cast, "ent1")
    rows = read_csv(client.get("/needs/export.csv").data)
    assert {r[2] for r in rows[1:]} == {"'=1+1 磁体需求", "已关闭需求"}
    assert len(rows[0]) == 16  # no contact columns for enterprise users
    assert not any("0472-1111111" in cell for row in rows for cell in row)
    closed = read_csv(client.get("/needs/export.csv?status=closed").data)
    assert [r[2] for r in closed[1:]] == ["已关闭需求"]


def test_needs_xlsx_opens_in_openpyxl_with_escaped_cells(cast):
    response = signed_in(cast, "broker1").get("/needs/export.xlsx?q=磁体")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "'=1+1 磁体需求"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_patents_export_for_a_university_is_its_own_and_has_no_contacts(cast):
    client = signed_in(cast, "uni1")
    rows = read_csv(client.get("/patents/export.csv").data)
    assert [r[3] for r in rows[1:]] == ["'+一种磁体"]
    assert rows[1][4] == "'-内蒙古科技大学"
    assert len(rows[0]) == 17
    assert not any("13800000000" in cell for row in rows for cell in row)
    sheet = load_workbook(io.BytesIO(client.get("/patents/export.xlsx").data)).active
    assert [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["'+一种磁体"]


def test_patents_export_for_an_enterprise_is_only_recommended_ones(cast):
    rows = read_csv(signed_in(cast, "ent1").get("/patents/export.csv").data)
    assert [r[3] for r in rows[1:]] == ["'+一种磁体"]
    assert not any("0472-3333333" in c or "13800000000" in c for r in rows for c in r)


def test_patents_export_for_a_broker_includes_escaped_contacts(cast):
    rows = read_csv(signed_in(cast, "broker1").get("/patents/export.csv?open=1").data)
    assert len(rows) == 2 and len(rows[0]) == 21
    assert "'@王老师 13800000000" in rows[1] and "0472-3333333" in rows[1]


def test_unknown_export_format_is_404(cast):
    assert signed_in(cast, "broker1").get("/needs/export.pdf").status_code == 404


def test_export_is_audited(cast):
    from sqlalchemy import select

    from matchmaker.records import AuditLog

    signed_in(cast, "broker1").get("/patents/export.xlsx")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "patents_export"))
    assert entry.detail == {"rows": 2, "format": "xlsx"}


# --- the list filters on SQLite and PostgreSQL ------------------------------------------------


def test_list_filters_are_portable(db_app):
    from sqlalchemy import select as sql_select

    from matchmaker.portal.needs.filters import NeedFilters
    from matchmaker.portal.patents.filters import PatentFilters

    admin = f.user(Role.ADMIN, username="root")
    f.need("需求甲", keywords=["晶界扩散", "100%回收"], region_league="包头市")
    f.need("需求乙", description="含下划线 a_b 的描述", region_league="赤峰市")
    uni = f.org(OrgKind.UNIVERSITY, region_league="包头市")
    p = f.patent("一种磁体", owner=uni, ipc=["H01F 1/057"])
    p.licensing_modes = [LicenceMode.OPEN]
    f.patent("一种合金", ipc=["C22C 23/06"], dormant=False)
    db.session.commit()

    def needs(**args) -> set[str]:
        stmt = NeedFilters.from_args(args).query(admin)
        return {n.title for n in db.session.scalars(stmt)}

    def patents(**args) -> set[str]:
        stmt = PatentFilters.from_args(args).query(admin)
        return {p.title for p in db.session.scalars(stmt)}

    assert needs(q="晶界扩散") == {"需求甲"}  # inside the JSON keyword list
    assert needs(q="100%") == {"需求甲"} and needs(q="%") == {"需求甲"}
    assert needs(q="a_b") == {"需求乙"} and needs(q="_") == {"需求乙"}
    assert needs(region="赤峰市") == {"需求乙"}
    assert patents(section="H", open="1") == {"一种磁体"}
    assert patents(dormant="0") == {"一种合金"}
    assert patents(region="包头市") == {"一种磁体"}
    assert patents(q="CN") == {"一种磁体", "一种合金"}
    assert db.session.scalar(sql_select(db.func.count()).select_from(
        NeedFilters.from_args({}).query(admin).subquery())) == 2
