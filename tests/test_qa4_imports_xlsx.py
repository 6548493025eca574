"""QA pass 4, Excel files that once imported half or silently lost cells (QA report A, 2 and 7).

A sheet damaged after its first batch of rows was reported as failed while that batch stayed
committed (no audit entry, no report, no index sync); a formula cell saved without its
calculated value (openpyxl and other tools that do not calculate) read as empty.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.ingest import ImportFileError, import_patents
from matchmaker.reasons import render
from matchmaker.records import AuditLog, OrgKind, Patent
from tests import factories as f

HEADER = ["公开号", "专利名称", "摘要", "IPC分类号", "法律状态", "申请日", "技术领域", "许可方式",
          "报价(万元)"]
SHEET = "xl/worksheets/sheet1.xml"


def _row(i: int, **cells) -> list:
    values = {"公开号": f"CN12{i:07d}A", "专利名称": f"一种稀土合金{i}",
              "摘要": "本发明公开了一种稀土合金及其制备方法。", "IPC分类号": "C22C 19/00",
              "法律状态": "有效", "申请日": "2021-03-05", "技术领域": "稀土", "许可方式": "转让",
              "报价(万元)": 10, **cells}
    return [values[name] for name in HEADER]


def _xlsx(rows: list[list], edit=None) -> bytes:
    """A workbook as openpyxl writes it (formulas without calculated values); ``edit`` changes
    the sheet's XML."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if edit is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == SHEET:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


@pytest.fixture
def uni(db_app):
    org = f.org(OrgKind.UNIVERSITY)
    db.session.commit()
    return org


def _patents() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Patent.id)))


def test_a_sheet_damaged_after_the_first_batch_writes_nothing(db_app, uni):
    """QA 2: damaged_mid.xlsx failed with "Excel 文件已损坏" after committing 500 rows."""
    db_app.config["IMPORT_BATCH_ROWS"] = 10

    def damage_row_25(xml: str) -> str:
        return xml.replace('<row r="25"', '<row r="25"><c r="A25"></row><row r="25"', 1)

    data = _xlsx([_row(i) for i in range(30)], damage_row_25)
    with pytest.raises(ImportFileError) as caught, force_locale("zh_CN"):
        import_patents(data, "damaged.xlsx", owner=uni)
    assert render(caught.value.args[0]).startswith("Excel 文件已损坏")
    assert _patents() == 0
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


FORMULA = "公式单元格没有计算结果：请在 Excel 或 WPS 中打开并保存后再导入"


def _calculated(xml: str) -> str:
    """Row 6 as Excel saves it: a number, and an empty text (t="str") from =IF(...,"",...)."""
    xml = re.sub(r'(<c r="I6"[^>]*>)<f>10\*8</f><v\s*/>', r"\1<f>10*8</f><v>80</v>", xml)
    return re.sub(r'<c r="G6"><f>IF\(1=1,"","x"\)</f><v\s*/></c>',
                  '<c r="G6" t="str"><f>IF(1=1,"","x")</f><v></v></c>', xml)


def test_formula_cells_without_a_calculated_value_are_row_errors_naming_the_column(db_app, uni):
    """QA 7: formula_optional.xlsx lost its price, date and licensing with "没有错误", and a
    formula title said "必填字段为空". A formula with a calculated value keeps using it."""
    rows = [
        _row(0, **{"报价(万元)": "=10*8"}),
        _row(1, **{"申请日": "=DATE(2021,3,5)", "许可方式": '="转让"'}),
        _row(2, **{"专利名称": "=1+1"}),
        _row(3),
        _row(4, **{"报价(万元)": "=10*8", "技术领域": '=IF(1=1,"","x")'}),  # calculated
    ]
    with force_locale("zh_CN"):
        result = import_patents(_xlsx(rows, _calculated), "formulas.xlsx", owner=uni)
        problems = sorted((e.row, e.where, render(e.reason)) for e in result.errors)
    assert problems == [(2, "报价(万元)", FORMULA), (3, "申请日", FORMULA),
                        (3, "许可方式", FORMULA), (4, "专利名称", FORMULA)]
    assert result.created == 2
    saved = db.session.execute(select(Patent.publication_number, Patent.asking_price,
                                      Patent.technical_field).order_by(Patent.id)).all()
    assert [tuple(row) for row in saved] == [("CN120000003A", Decimal("10"), "稀土"),
                                             ("CN120000004A", Decimal("80"), None)]
    with force_locale("en"):
        assert render(result.errors[0].reason).startswith(
            "A formula cell has no calculated value: open the file in Excel or WPS")
