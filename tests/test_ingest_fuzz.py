"""Property tests of the importers: any file gives row errors or a clean refusal, never a crash,
and exactly the rows reported as written are in the database (issue 14, "Done when")."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.ingest import ImportFileError, import_needs, import_patents
from matchmaker.records import Need, Patent

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NUMBERS = st.sampled_from(["CN114081026A", "CN114081027B", "US10123456B2", "CN2190123456U",
                           "bogus", "", "CN1" + "9" * 40])
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="稀土永磁钕铁硼=+-@\"',;\t\r\n\x00", max_size=60),
    st.builds(lambda n: "长" * n, st.sampled_from([199, 200, 201, 5000, 70_000])),
)


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Patent.id))),
            db.session.scalar(select(func.count(Need.id))))


def _check(run, data: bytes, filename: str, kind: int) -> None:
    """Run one import; assert a clean outcome and no partial writes."""
    before = _counts()
    try:
        result = run(data, filename, notify=False)
    except ImportFileError as refusal:
        assert str(refusal)  # a clear message
        db.session.rollback()
        assert _counts() == before  # a refused file writes nothing
        return
    after = _counts()
    assert after[kind] - before[kind] == result.created
    assert after[1 - kind] == before[1 - kind]
    assert result.created + result.updated + result.unchanged + result.failed == result.rows
    assert all(e.reason for e in result.errors)
    assert len(set(result.created_ids)) == result.created


@pytest.mark.parametrize("ext", ["csv", "tsv", "xlsx", "jsonl"])
@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_crash_an_import(app, ext, data):
    _check(import_patents, data, f"random.{ext}", 0)


@FUZZ
@given(rows=st.lists(st.tuples(NUMBERS, TEXT, TEXT, st.sampled_from(["H01F 1/057", "", "ZZZ", "A"])),
                     max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_csv_rows_in_any_encoding_are_written_or_reported(app, rows, encoding):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["公开(公告)号", "标题", "摘要", "IPC"])
    writer.writerows(rows)
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = out.getvalue().encode("utf-8")
    _check(import_patents, data, "p.csv", 0)


@settings(FUZZ, max_examples=10)
@given(rows=st.lists(st.tuples(NUMBERS, TEXT, TEXT), max_size=8))
def test_xlsx_rows_are_written_or_reported(app, rows):
    book = Workbook()
    book.active.append(["公开(公告)号", "标题", "摘要"])
    for row in rows:
        # openpyxl refuses control characters in cells: strip them as Excel would.
        book.active.append(["".join(c for c in v if c >= " " or c in "\t\n") for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    _check(import_patents, buffer.getvalue(), "p.xlsx", 0)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@FUZZ
@given(lines=st.lists(
    st.one_of(
        st.fixed_dictionaries({"external_ref": st.sampled_from(["N-1", "N-2", "", "x" * 50]),
                               "enterprise": TEXT, "title": TEXT, "description": TEXT,
                               "keywords": JSON_VALUES}).map(lambda d: json.dumps(d, ensure_ascii=False)),
        JSON_VALUES.map(json.dumps),
        st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
        st.text(max_size=30),
    ),
    max_size=8,
))
def test_json_lines_give_row_errors_never_exceptions(app, lines):
    _check(import_needs, "\n".join(lines).encode("utf-8", "surrogatepass"), "n.jsonl", 1)
