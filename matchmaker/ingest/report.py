"""Plain-text report of an import: a summary and the per-row error table (行号 | 字段 | 原因)."""

from __future__ import annotations

import unicodedata

from .result import ImportResult, RowError

KIND_NAMES = {"patents": "专利", "needs": "需求"}


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def error_table(errors: list[RowError]) -> str:
    """The errors as an aligned table, sorted by row."""
    rows = [("行号", "字段", "原因")] + [
        (str(e.row), e.where, e.reason) for e in sorted(errors, key=lambda e: e.row)
    ]
    first = max(_width(r[0]) for r in rows)
    second = max(_width(r[1]) for r in rows)
    lines = [f"{_pad(a, first)} | {_pad(b, second)} | {c}" for a, b, c in rows]
    lines.insert(1, f"{'-' * first}-+-{'-' * second}-+-{'-' * 4}")
    return "\n".join(lines)


def summary(result: ImportResult) -> str:
    """One paragraph: what was read, created, updated, left alone and refused."""
    what = KIND_NAMES.get(result.kind, result.kind)
    lines = [
        f"{result.filename}：读取{result.rows}行{what}，新建 {result.created}，更新 {result.updated}，"
        f"未变 {result.unchanged}，失败 {result.failed}"
    ]
    if result.organizations_created:
        lines.append(f"新建机构 {len(result.organizations_created)} 个："
                     + "、".join(result.organizations_created))
    if result.dry_run:
        lines.append("试运行（--dry-run）：只做了校验，数据库未做任何修改")
    elif result.failed:
        lines.append("有错误的行未导入；其余有效行已保存")
    lines.extend(f"警告：{warning}" for warning in result.warnings)
    return "\n".join(lines)


def format_report(result: ImportResult) -> str:
    """Summary followed by the error table (when there are errors)."""
    text = summary(result)
    if result.errors:
        text += "\n\n" + error_table(result.errors)
    return text
