"""Import of patents and needs: readers, validation, upsert, savepoints, dry run and the CLI."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from matchmaker.errors import PermissionDenied
from matchmaker.extensions import db
from matchmaker.ingest import (
    NEED_FIELDS,
    PATENT_FIELDS,
    ImportFileError,
    import_needs,
    import_patents,
    normalise_header,
)
from matchmaker.ingest import values as v
from matchmaker.ingest.dates_and_amounts import parse_amount, parse_budget, parse_date
from matchmaker.ingest.patents import PatentImporter
from matchmaker.records import (
    AuditLog,
    Confidentiality,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Need,
    Organization,
    OrgKind,
    Patent,
    PatentIPC,
    PatentType,
    Role,
)
from tests import factories as f

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
HEADER = "公开号,专利名称,摘要,IPC分类号,申请日,专利权人\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def patent(number: str) -> Patent | None:
    return db.session.scalar(select(Patent).where(Patent.publication_number == number))


def where(result) -> set[tuple[int, str | None]]:
    return {(e.row, e.field) for e in result.errors}


def row(number="CN114081026A", title="一种稀土永磁材料", abstract="本发明公开了一种稀土永磁材料。",
        ipc="H01F 1/057", filed="2021-03-05", owner="内蒙古科技大学") -> str:
    return f"{number},{title},{abstract},{ipc},{filed},{owner}\n"


# --- formats -------------------------------------------------------------------------------


def test_csv_fixture_imports_every_field(db_app):
    result = import_patents(FIXTURES / "patents.csv")
    assert (result.created, result.updated, result.failed) == (3, 0, 0), result.errors
    first = patent("CN114081026A")
    assert first.ipc_codes == ["H01F 1/057", "H01F 41/02"]
    assert (first.filing_date, first.grant_date, first.fee_due_date) == (
        date(2021, 3, 5), date(2022, 6, 10), date(2025, 3, 5))
    assert set(first.licensing_modes) == {LicenceMode.TRANSFER, LicenceMode.ORDINARY}
    assert first.asking_price == Decimal("80.00") and first.dormant is True
    assert first.owner.name == "内蒙古科技大学" and first.owner.kind is OrgKind.UNIVERSITY
    second = patent("CN209876543U")
    assert second.patent_type is PatentType.UTILITY  # inferred from the kind code U
    assert second.asking_price is None and second.dormant is False  # 面议 = no price
    assert (second.filing_date, second.grant_date) == (date(2019, 5, 20), date(2020, 1, 3))
    assert second.owner.kind is OrgKind.INSTITUTE and second.open_licence
    # a quoted cell spanning two lines; the number is normalised
    third = patent("CN115000001A")
    assert "\n强度高" in third.abstract and third.legal_status is LegalStatus.PENDING
    assert third.asking_price == Decimal("120.50")
    assert sorted(result.organizations_created) == ["内蒙古工业大学", "内蒙古科技大学", "包头稀土研究院"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_read_the_same(db_app, tmp_path, encoding):
    path = tmp_path / "p.csv"
    path.write_bytes((HEADER + row(owner="包头稀土研究院") + row("CN114081027A", "钕铁硼磁体")).encode(encoding))
    result = import_patents(path)
    assert result.ok and result.created == 2, result.errors
    assert result.warnings == []  # a BOM must not glue itself to the first header
    assert patent("CN114081026A").owner.name == "包头稀土研究院"
    assert patent("CN114081027A").title == "钕铁硼磁体"


def test_undecodable_csv_is_refused_and_nothing_written(db_app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"CN114081026A,\x80\xff\xfe,abc,H01F 1/057,,x\n")
    with pytest.raises(ImportFileError) as caught:
        import_patents(path)
    message = str(caught.value)
    assert "UTF-8" in message and "GB18030" in message and "第2行" in message
    assert count(Patent) == count(Organization) == count(AuditLog) == 0


def test_a_big5_csv_is_refused_not_imported_as_garbled_gb18030(db_app, tmp_path):
    """Big5's byte pairs are valid GB18030 too: the file decoded into nonsense with
    private-use characters and imported with no error (QA, stop 34)."""
    text = ("publication_number,title,abstract,ipc\n"  # a Taiwanese export: Big5 throughout
            "CN114081027A,一種編碼測試裝置,本發明公開了一種編碼測試方法。,H01F 1/057\n")
    path = tmp_path / "big5.csv"
    path.write_bytes(text.encode("big5"))
    assert "\ue000" <= max(path.read_bytes().decode("gb18030"))  # the trap: it decodes
    with pytest.raises(ImportFileError) as caught:
        import_patents(path)
    message = str(caught.value)
    assert "Big5" in message and "UTF-8" in message and "第2行" in message
    assert count(Patent) == count(Organization) == count(AuditLog) == 0
    path.write_bytes(text.encode("utf-8"))  # the same rows saved as UTF-8 import
    assert import_patents(path).created == 1
    assert patent("CN114081027A").title == "一種編碼測試裝置"


def test_xlsx_with_typed_cells_and_sheet_choice(db_app, tmp_path):
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表说明，不是数据"])
    sheet = book.create_sheet("专利")
    sheet.append(["公开(公告)号", "标题", "摘要", "IPC", "申请日", "授权日", "报价", "申请号", "是否休眠"])
    sheet.append(["CN114081026A", "稀土永磁", "摘要一", "H01F1/057(2006.01)", datetime(2021, 3, 5),
                  44261, 50, 202110012345, True])
    sheet.append([])  # an empty spreadsheet row: skipped, but later rows keep their numbers
    sheet.append(["CN114081027A", "坏日期", "摘要二", "H01F1/057", "2021-02-30", None, None, None, 0])
    path = tmp_path / "p.xlsx"
    book.save(path)

    result = import_patents(path, sheet="专利")
    assert result.created == 1
    assert where(result) == {(4, "filing_date")}  # Excel row 4, after the empty row 3
    imported = patent("CN114081026A")
    assert imported.filing_date == date(2021, 3, 5)
    assert imported.grant_date == date(2021, 3, 6)  # Excel serial 44261
    assert imported.asking_price == Decimal("50.00") and imported.dormant is True
    assert imported.application_number == "202110012345"  # a number cell, no ".0"
    assert imported.ipc_codes == ["H01F 1/057"]

    with pytest.raises(ImportFileError, match="工作表“无此表”不存在"):
        import_patents(path, sheet="无此表")
    with pytest.raises(ImportFileError, match="缺少必需的列"):
        import_patents(path)  # the first sheet has no patent columns


def test_jsonl_malformed_line_is_a_row_error(db_app):
    result = import_needs(FIXTURES / "needs.jsonl")
    assert result.created == 2
    assert where(result) == {(2, "title"), (3, None)}
    assert "JSON" in next(e.reason for e in result.errors if e.row == 3)
    first = db.session.scalar(select(Need).where(Need.external_ref == "EE-001"))
    assert first.keywords == ["煤气化", "废水"] and first.cooperation_mode is CooperationMode.TRANSFER
    assert (first.budget_min, first.budget_max) == (Decimal("200.00"), Decimal("500.00"))
    fourth = db.session.scalar(select(Need).where(Need.external_ref == "EE-004"))
    assert (fourth.budget_min, fourth.budget_max) == (None, Decimal("100.00"))
    assert fourth.deadline == date(2099, 1, 31)  # a past one is refused for a new need
    assert fourth.enterprise.kind is OrgKind.ENTERPRISE


def test_a_quoted_cell_never_closed_refuses_the_file(db_app):
    """A stray quotation mark would make one cell of every line after it: refused, named."""
    text = HEADER + row("CN114081026A") + row("CN114081027A", abstract='"摘要未闭合') + row("CN114081028A")
    with pytest.raises(ImportFileError, match="第3行的引号单元格没有闭合"):
        import_patents(text.encode(), "p.csv")
    assert count(Patent) == 0


def test_a_grant_on_or_before_the_filing_date_is_a_row_error(db_app):
    """The same rule as the portal's form and the API: a patent is granted after it is filed."""
    header = "公开号,专利名称,摘要,申请日,授权日\n"
    text = (header + "CN114081026A,甲,摘要,2021-03-05,2021-03-05\n"
            + "CN114081027A,乙,摘要,2021-03-05,2021-01-05\n"
            + "CN114081028A,丙,摘要,2021-03-05,2022-01-05\n")
    result = import_patents(text.encode(), "p.csv")
    assert where(result) == {(2, "grant_date"), (3, "grant_date")}
    assert "授权日 2021-03-05 不晚于申请日 2021-03-05" in result.errors[0].reason
    assert count(Patent) == 1 and patent("CN114081028A").grant_date == date(2022, 1, 5)


def test_huge_amounts_and_numbers_are_row_errors(db_app):
    """Amounts beyond Numeric(14, 2) and integers of thousands of digits: the row is refused,
    the others are saved, the file is not abandoned half-written."""
    header = "公开号,专利名称,摘要,报价(万元)\n"
    text = (header + "CN114081026A,甲,摘要,1e30\n" + "CN114081027A,乙,摘要," + "9" * 40 + "\n"
            + "CN114081028A,丙,摘要,80\n")
    result = import_patents(text.encode(), "p.csv")
    assert where(result) == {(2, "asking_price"), (3, "asking_price")}
    assert all("金额过大" in e.reason for e in result.errors)
    assert patent("CN114081028A").asking_price == Decimal("80.00") and count(Patent) == 1
    lines = ['{"publication_number": "CN114081029A", "title": "t", "abstract": "a", '
             '"asking_price": ' + "9" * 5000 + "}",
             '{"publication_number": "CN114081030A", "title": "t", "abstract": "a"}']
    result = import_patents("\n".join(lines).encode(), "p.jsonl")
    assert where(result) == {(1, None)} and "数字过长" in result.errors[0].reason
    assert patent("CN114081030A") is not None


def test_jsonl_records_end_at_newlines_only(db_app):
    """U+2028, U+2029 and U+0085 inside a JSON string are text, not line breaks."""
    lines = ['{"publication_number": "CN114081026A", "title": "一\u2028二\u0085三", "abstract": "a"}',
             '{"publication_number": "CN114081027A", "title": "t", "abstract": "a"}\r']
    result = import_patents("\n".join(lines).encode(), "p.jsonl")
    assert (result.rows, result.created, result.failed) == (2, 2, 0)
    assert patent("CN114081026A").title == "一\u2028二\u0085三"


def test_control_characters_are_refused_in_imported_text(db_app):
    lines = ['{"publication_number": "CN114081026A", "title": "t\\u0000x", "abstract": "a"}',
             '{"publication_number": "CN114081027A", "title": "t", "abstract": "a\\u001b[31m"}',
             '{"publication_number": "CN114081028A", "title": "t", "abstract": "换行\\n与\\t制表"}']
    result = import_patents("\n".join(lines).encode(), "p.jsonl")
    assert where(result) == {(1, "title"), (2, "abstract")}
    assert "控制字符" in result.errors[0].reason
    assert patent("CN114081028A").abstract == "换行\n与\t制表"


def test_a_text_of_invisible_characters_is_an_empty_text(db_app):
    lines = ['{"publication_number": "CN114081026A", "title": "\\u200b\\u200c", "abstract": "a"}',
             '{"publication_number": "CN114081027A", "title": "t", "abstract": "\\ufeff \\u2060"}',
             '{"publication_number": "CN114081028A", "title": "\\u200b风电\\u200d叶片", "abstract": "a"}']
    result = import_patents("\n".join(lines).encode(), "p.jsonl")
    assert where(result) == {(1, "title"), (2, "abstract")}
    assert patent("CN114081028A").title == "风电\u200d叶片"  # only the edges are trimmed


def test_tsv_and_sniffed_semicolon(db_app, tmp_path):
    tsv = tmp_path / "p.tsv"
    tsv.write_text((HEADER + row()).replace(",", "\t"), encoding="utf-8")
    semicolon = tmp_path / "p2.csv"
    semicolon.write_text((HEADER + row("CN114081027A")).replace(",", ";"), encoding="utf-8")
    assert import_patents(tsv).created == 1
    assert import_patents(semicolon).created == 1
    assert count(Patent) == 2


def _zip_without_a_workbook() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def test_unsupported_files_get_clear_errors(db_app, tmp_path):
    with pytest.raises(ImportFileError, match=r"\.xlsx"):
        import_patents(b"whatever", "p.xls")
    with pytest.raises(ImportFileError, match="不支持的文件类型"):
        import_patents(b"whatever", "p.pdf")
    for junk in (b"not a zip", _zip_without_a_workbook()):
        with pytest.raises(ImportFileError, match="不是有效的 Excel 工作簿") as junk_file:
            import_patents(junk, "p.xlsx")
        # the library's English ("File is not a zip file") stays out of the message
        assert "zip" not in str(junk_file.value).lower()
    with pytest.raises(ImportFileError, match="Excel"):
        import_patents(io.BytesIO(b"PK\x03\x04rest"), "p.csv")
    with pytest.raises(ImportFileError, match="缺少必需的列：摘要") as missing:
        import_patents(b"title,publication_number\nx,CN114081026A\n", "p.csv")
    named = str(missing.value).split("：", 2)[-1]  # the column names it accepts, each once
    assert named.count("abstract") == 1 and named.count("摘要") == 1, named
    with pytest.raises(ImportFileError) as no_number:  # an English name among Chinese aliases
        import_patents(b"title,abstract\nx,y\n", "p.csv")
    assert "publication number" in str(no_number.value), str(no_number.value)


# --- validation ----------------------------------------------------------------------------


def test_bad_rows_are_reported_and_valid_rows_saved(db_app, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        HEADER
        + row("CN114081026A")
        + row("CN114081027A", filed="2021-13-01")
        + row("CN114081028A", ipc="H01F-1057")
        + row("CN114081029A", title="")
        + row("CN1140810")
        + "CN114081030A,多了一列,摘要,H01F 1/057,2021-03-05,内蒙古科技大学,多余\n"
        + row("CN114081031A"),
        encoding="utf-8",
    )
    result = import_patents(path)
    assert where(result) == {(3, "filing_date"), (4, "ipc_codes"), (5, "title"),
                             (6, "publication_number"), (7, None)}
    by_row = {e.row: e for e in result.errors}
    assert by_row[3].column == "申请日" and "2021-13-01" in by_row[3].reason
    assert by_row[5].reason == "必填字段为空"
    assert (result.created, result.failed, result.rows) == (2, 5, 7)
    assert {p.publication_number for p in db.session.scalars(select(Patent))} == {
        "CN114081026A", "CN114081031A"}


def test_over_long_title_is_refused_never_truncated(db_app):
    limit = PATENT_FIELDS["title"].parse  # the parser carries PATENT_LIMITS["title"] (300)
    assert limit("长" * 300) == "长" * 300
    text = HEADER + row("CN114081026A", title="长" * 301) + row("CN114081027A", title="长" * 300)
    result = import_patents(text.encode(), "p.csv")
    assert where(result) == {(2, "title")}
    assert "300" in result.errors[0].reason and "301" in result.errors[0].reason
    assert patent("CN114081026A") is None and len(patent("CN114081027A").title) == 300


def test_duplicate_publication_number_names_the_first_row(db_app):
    text = HEADER + row("CN114081026A") + row("CN114081027A") + row("cn 114081026 a", title="另一个")
    result = import_patents(text.encode(), "p.csv")
    assert where(result) == {(4, "publication_number")}
    assert "第2行" in result.errors[0].reason
    assert count(Patent) == 2 and patent("CN114081026A").title == "一种稀土永磁材料"


def test_unknown_columns_warned_once(db_app):
    text = "公开号,专利名称,摘要,备注,内部编码\n" + "CN114081026A,a,b,c,d\nCN114081027A,a,b,c,d\n"
    result = import_patents(text.encode(), "p.csv")
    assert result.created == 2
    assert result.warnings == ["未识别的列（已忽略）：备注、内部编码"]


def test_formula_escape_from_exports_is_undone(db_app):
    text = "公开号,专利名称,摘要\nCN114081026A,'=含等号的标题,摘要\n"
    assert import_patents(text.encode(), "p.csv").created == 1
    assert patent("CN114081026A").title == "=含等号的标题"


# --- upsert, savepoints, dry run -----------------------------------------------------------


def test_reimport_updates_without_duplicating(db_app):
    first = HEADER + row("CN114081026A", ipc="H01F 1/057;C22C 38/00") + row("CN114081027A")
    created = import_patents(first.encode(), "p.csv")
    assert created.created == 2 and sorted(created.patent_ids) == sorted(created.created_ids)
    again = import_patents(first.encode(), "p.csv")
    assert (again.created, again.updated, again.unchanged, again.changed_ids) == (0, 0, 2, [])

    # changed abstract; same IPC codes in another order (the (patent, code) pair is unique)
    changed = (HEADER + row("CN114081026A", abstract="新的摘要。", ipc="C22C 38/00;H01F 1/057")
               + row("CN114081027A"))
    result = import_patents(changed.encode(), "p.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    updated = patent("CN114081026A")
    assert result.patent_ids == [updated.id]
    assert updated.abstract == "新的摘要。" and updated.ipc_codes == ["C22C 38/00", "H01F 1/057"]
    assert count(Patent) == 2 and count(PatentIPC) == 3 and count(Organization) == 1


def test_empty_cells_keep_stored_values(db_app):
    import_patents((HEADER + row()).encode(), "p.csv")
    partial = "公开号,摘要,专利名称,申请日\nCN114081026A,摘要,标题,\n"  # no owner column, empty date
    result = import_patents(partial.encode(), "p.csv")
    assert result.updated == 1
    assert patent("CN114081026A").filing_date == date(2021, 3, 5)


def test_dry_run_writes_nothing(db_app):
    text = HEADER + row() + row("CN114081027A", owner="包头稀土研究院") + row("CN1")
    result = import_patents(text.encode(), "p.csv", dry_run=True)
    assert (result.created, result.failed, result.dry_run) == (2, 1, True)
    assert result.patent_ids == []
    db.session.expire_all()
    assert count(Patent) == count(Organization) == count(AuditLog) == 0


def test_failing_write_rolls_back_only_its_row(db_app, monkeypatch):
    original = PatentImporter.write

    def write(self, values):
        outcome = original(self, values)  # the patent and its new owner are flushed...
        if values["publication_number"] == "CN114081027A":
            raise DataError("INSERT", {}, Exception("value too long"))  # ...then it fails
        return outcome

    monkeypatch.setattr(PatentImporter, "write", write)
    text = (HEADER + row("CN114081026A") + row("CN114081027A", owner="新机构研究所")
            + row("CN114081028A", owner="新机构研究所"))
    result = import_patents(text.encode(), "p.csv")
    assert where(result) == {(3, None)} and "value too long" in result.errors[0].reason
    assert patent("CN114081027A") is None
    # the owner first met in the failed row is created again by the next row, once
    assert patent("CN114081028A").owner.name == "新机构研究所"
    assert count(Organization) == 2 and result.organizations_created == ["内蒙古科技大学", "新机构研究所"]


def test_needs_budget_range_and_upsert_keys(db_app):
    result = import_needs(FIXTURES / "needs.csv")
    assert (result.created, result.failed) == (2, 0), result.errors
    need = db.session.scalar(select(Need).where(Need.external_ref == "BT-2024-001"))
    assert (need.budget_min, need.budget_max) == (Decimal("50.00"), Decimal("100.00"))
    assert need.keywords == ["钕铁硼", "矫顽力", "晶界扩散"]
    assert need.cooperation_mode is CooperationMode.JOINT_DEVELOPMENT
    other = db.session.scalar(select(Need).where(Need.external_ref == "BT-2024-002"))
    assert other.region_league == "包头市" and other.confidentiality is Confidentiality.BROKERS
    assert (other.budget_min, other.budget_max) == (None, Decimal("30.00"))

    text = ("需求编号,企业名称,需求名称,需求描述,预算(万元)\n"
            "BT-2024-001,包头某稀土磁材有限公司,烧结钕铁硼降本需求,描述,60~120\n"
            ",包头某稀土磁材有限公司,无编号需求,描述,\n"
            ",包头某稀土磁材有限公司,无编号需求,重复,\n"
            "BT-9,包头某稀土磁材有限公司,反了,描述,100-50\n")
    again = import_needs(text.encode(), "n.csv")
    assert (again.created, again.updated) == (1, 1)
    assert where(again) == {(4, "title"), (5, "budget_min")}
    db.session.refresh(need)
    assert (need.budget_min, need.budget_max) == (Decimal("60.00"), Decimal("120.00"))
    assert import_needs(text.encode(), "n.csv").created == 0  # keyed by (enterprise, title)
    assert count(Need) == 3


def test_forced_owner_refuses_rows_of_other_organizations(db_app):
    university = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    text = HEADER + row("CN114081026A", owner="") + row("CN114081027A", owner="别的大学")
    result = import_patents(text.encode(), "p.csv", owner=university)
    assert where(result) == {(3, "owner")}
    assert patent("CN114081026A").owner_id == university.id
    assert count(Organization) == 1


def test_university_user_limited_to_its_own_patents(db_app):
    mine = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    theirs = f.org(OrgKind.UNIVERSITY, name="内蒙古工业大学")
    f.patent(number="CN114081027A", owner=theirs)
    user = f.user(Role.UNIVERSITY, organization=mine)
    db.session.commit()
    text = HEADER + row("CN114081026A", owner="") + row("CN114081027A", owner="")
    result = import_patents(text.encode(), "p.csv", actor=user)
    assert result.created == 1 and where(result) == {(3, "publication_number")}
    assert patent("CN114081026A").owner_id == mine.id
    assert patent("CN114081027A").owner_id == theirs.id
    with pytest.raises(PermissionDenied):
        import_patents(text.encode(), "p.csv", actor=user, owner=theirs)
    with pytest.raises(PermissionDenied):
        import_needs(b"title\nx\n", "n.csv", actor=user)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "patent_import"))
    assert audit.actor_id == user.id and audit.detail["created"] == 1


def test_index_sync_after_commit_and_its_failure_is_only_a_warning(db_app, monkeypatch):
    from matchmaker.services import matching

    calls = []
    monkeypatch.setattr(matching, "sync_patents",
                        lambda ids: calls.append((list(ids), count(Patent))))
    result = import_patents((HEADER + row()).encode(), "p.csv")
    assert calls == [(result.patent_ids, 1)]

    def broken(ids):
        raise RuntimeError("index is corrupt")

    monkeypatch.setattr(matching, "sync_patents", broken)
    result = import_patents((HEADER + row("CN114081027A")).encode(), "p.csv")
    assert result.created == 1 and any("索引" in w for w in result.warnings)
    db.session.expire_all()
    assert count(Patent) == 2


def test_progress_reports_every_row(db_app):
    seen = []
    text = HEADER + "".join(row(f"CN11408{i:04d}A") for i in range(5))
    import_patents(text.encode(), "p.csv", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 5) for i in range(1, 6)]


# --- CLI -----------------------------------------------------------------------------------


def test_cli_import_patents_exit_codes_and_report(db_app, tmp_path):
    runner = db_app.test_cli_runner()
    good = runner.invoke(args=["import-patents", str(FIXTURES / "patents.csv")])
    assert good.exit_code == 0, good.output
    assert "新建 3" in good.output

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + row("CN114081099A") + row("CN114081098A", filed="2021-02-30"), encoding="utf-8")
    dry = runner.invoke(args=["import-patents", str(bad), "--dry-run"])
    assert dry.exit_code == 1 and "试运行" in dry.output
    assert patent("CN114081099A") is None
    failed = runner.invoke(args=["import-patents", str(bad)])
    assert failed.exit_code == 1
    assert "行号 | 字段   | 原因" in failed.output
    assert any(line.startswith("3    | 申请日 | 日期不正确") for line in failed.output.splitlines())
    assert patent("CN114081099A") is not None  # the valid row was saved

    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x80\x81\xff\xfe\x00")
    unreadable = runner.invoke(args=["import-patents", str(garbage)])
    assert unreadable.exit_code == 2 and "未写入任何数据" in unreadable.output
    missing_owner = runner.invoke(args=["import-patents", str(bad), "--owner", "没有这个机构"])
    assert missing_owner.exit_code == 2 and "机构不存在" in missing_owner.output


def test_cli_import_needs_with_enterprise_and_sheet(db_app, tmp_path):
    f.org(OrgKind.ENTERPRISE, name="包头某稀土磁材有限公司")
    db.session.commit()
    book = Workbook()
    book.active.title = "需求"
    book.active.append(["需求名称", "需求描述", "预算(万元)"])
    book.active.append(["降本", "降低重稀土用量", "50-100"])
    path = tmp_path / "n.xlsx"
    book.save(path)
    runner = db_app.test_cli_runner()
    result = runner.invoke(args=["import-needs", str(path), "--sheet", "需求",
                                 "--enterprise", "包头某稀土磁材有限公司"])
    assert result.exit_code == 0, result.output
    need = db.session.scalar(select(Need))
    assert need.enterprise.name == "包头某稀土磁材有限公司"
    assert (need.budget_min, need.budget_max) == (Decimal("50.00"), Decimal("100.00"))


# --- value parsers and the column mapping (no database) ------------------------------------


@pytest.mark.parametrize("raw", ["2021-03-05", "2021/3/5", "2021.03.05", "20210305", "2021年3月5日",
                                 "2021-03-05 00:00:00", datetime(2021, 3, 5, 8, 0), 44260, 20210305])
def test_dates_in_every_accepted_form(raw):
    assert parse_date(raw) == date(2021, 3, 5)


@pytest.mark.parametrize("raw", ["2021-02-30", "2021-3", "05/03/2021", "去年", "1021-03-05",
                                 date(9999, 12, 31), datetime(1899, 12, 25), 2958465])
def test_bad_dates_are_refused(app, raw):  # app: the reason in the default locale
    with pytest.raises(v.ValidationError, match="日期不正确"):
        parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("50-100", ("50.00", "100.00")), ("50~100万", ("50.00", "100.00")), ("50至100", ("50.00", "100.00")),
    ("50以上", ("50.00", None)), ("100以内", (None, "100.00")), ("80", (None, "80.00")),
    (80, (None, "80.00")),
])
def test_budget_forms(raw, expected):
    low, high = parse_budget(raw)
    assert (low, high) == tuple(None if e is None else Decimal(e) for e in expected)


def test_amounts_and_booleans():
    assert parse_amount("1,200.5万") == Decimal("1200.50")
    assert parse_amount("面议") is None
    for bad in ("-5", "abc", "5000元", "NaN"):
        with pytest.raises(v.ValidationError):
            parse_amount(bad)
    assert [v.parse_bool(x) for x in ("是", "否", "TRUE", "0", 1, False)] == [True, False, True, False, True, False]
    with pytest.raises(v.ValidationError):
        v.parse_bool("也许")


def test_headers_fold_width_case_and_units():
    assert normalise_header("报价（万元）") == normalise_header("报价") == "报价"
    assert normalise_header(" Publication_Number ") == normalise_header("publication number")
    assert normalise_header("公开（公告）号*") == normalise_header("公开(公告)号")


@pytest.mark.parametrize("specs", [PATENT_FIELDS, NEED_FIELDS])
def test_no_header_alias_points_at_two_fields(specs):
    owners: dict[str, str] = {}
    for spec in specs.values():
        for alias in {normalise_header(a) for a in (spec.name, spec.label, *spec.aliases)}:
            assert owners.setdefault(alias, spec.name) == spec.name, alias



def test_docs_list_every_header():
    doc = (Path(__file__).parent.parent / "docs" / "import-formats.md").read_text(encoding="utf-8")
    for specs in (PATENT_FIELDS, NEED_FIELDS):
        for spec in specs.values():
            line = next(ln for ln in doc.splitlines() if ln.startswith(f"| `{spec.name}` | {spec.label} |"))
            assert all(alias in line for alias in spec.aliases), spec.name
