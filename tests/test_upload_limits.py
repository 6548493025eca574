"""Hostile uploads: XLSX zip bombs, JSON Lines with huge or deeply nested lines (issue 14, 7)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.ingest import ImportFileError, import_needs, import_patents
from matchmaker.records import Need, Patent

HEADER = ["公开(公告)号", "标题", "摘要", "IPC"]


def _xlsx(extra: dict[str, bytes] | None = None, rows: int = 1) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for i in range(rows):
        book.active.append([f"CN{114081026 + i}A", "稀土永磁", "摘要", "H01F1/057"])
    buffer = io.BytesIO()
    book.save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_xlsx_with_a_highly_compressed_member_is_refused_before_parsing(app):
    bomb = _xlsx({"xl/media/padding.bin": b"\0" * (8 * 1024 * 1024)})  # ~1000:1
    assert len(bomb) < 100_000
    with pytest.raises(ImportFileError, match="压缩比"):
        import_patents(bomb, "p.xlsx")
    assert _count(Patent) == 0


def test_xlsx_over_the_uncompressed_cap_is_refused(app):
    app.config["MAX_UNCOMPRESSED_BYTES"] = 50_000
    data = _xlsx(rows=2000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 50_000
    with pytest.raises(ImportFileError, match="解压后"):
        import_patents(data, "p.xlsx")
    assert _count(Patent) == 0


def test_an_ordinary_xlsx_still_imports(app):
    assert import_patents(_xlsx(rows=3), "p.xlsx").created == 3


def _need(ref: str, **extra) -> str:
    return json.dumps({"external_ref": ref, "enterprise": "某企业", "title": "需求" + ref,
                       "description": "描述", **extra}, ensure_ascii=False)


def test_deeply_nested_json_line_is_a_row_error_not_a_crash(app):
    deep = '{"external_ref": "N-2", "x": ' + "[" * 200_000 + "]" * 200_000 + "}"
    data = "\n".join([_need("N-1"), deep, _need("N-3")]).encode()
    result = import_needs(data, "n.jsonl")
    assert result.created == 2
    assert [(e.row, "嵌套" in e.reason) for e in result.errors] == [(2, True)]
    assert _count(Need) == 2


def test_moderately_nested_json_line_over_the_depth_limit_is_a_row_error(app):
    app.config["JSONL_MAX_DEPTH"] = 5
    nested = _need("N-2", keywords=[[[[["a"]]]]])
    result = import_needs("\n".join([_need("N-1"), nested]).encode(), "n.jsonl")
    assert result.created == 1 and [e.row for e in result.errors] == [2]


def test_over_long_json_line_is_a_row_error(app):
    app.config["JSONL_MAX_LINE_CHARS"] = 1000
    long_line = _need("N-2", description="长" * 5000)
    result = import_needs("\n".join([_need("N-1"), long_line]).encode(), "n.jsonl")
    assert result.created == 1
    assert [(e.row, "过长" in e.reason) for e in result.errors] == [(2, True)]
    assert _count(Need) == 1
