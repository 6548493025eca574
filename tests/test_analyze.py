"""Planner statistics are refreshed after every bulk load: import, batch match, demo (issue 13).

Without them PostgreSQL estimated 2 rows for a broker's queue after a 100k import and chose a
plan that took 140 s. Runs on SQLite and, with ``MATCHMAKER_TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from matchmaker.extensions import db
from matchmaker.ingest import import_patents
from matchmaker.records import JobStatus
from matchmaker.services import jobs, matching
from tests import factories as f
from tests.test_demo import stub_matching  # noqa: F401  (the fixture)

CSV = ("公开号,专利名称,摘要,IPC分类号,申请日,专利权人\n"
       "CN114081026A,一种稀土永磁材料,本发明公开了一种稀土永磁材料。,H01F 1/057,2021-03-05,内蒙古科技大学\n"
       "CN114081027A,一种风电叶片除冰装置,叶片内置电加热膜。,F03D 80/40,2021-04-05,内蒙古工业大学\n")


def analysed(table: str) -> bool:
    """Whether ANALYZE has gathered statistics for ``table`` (in this test's schema)."""
    if db.engine.dialect.name == "postgresql":
        # -1 until the table is first analysed or vacuumed (PostgreSQL 14 and later).
        tuples = db.session.scalar(text("SELECT reltuples FROM pg_class "
                                        "WHERE oid = to_regclass(:t)"), {"t": table})
        return tuples is not None and tuples >= 0
    has_stats = db.session.scalar(text(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
    return bool(has_stats) and bool(db.session.scalar(
        text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}))


@pytest.fixture
def fresh(db_app):
    db.session.commit()
    assert not analysed("patents") and not analysed("matches")
    return db_app


def test_an_import_analyses_the_tables(fresh):
    result = import_patents(io.StringIO(CSV), "patents.csv")
    assert result.created == 2, result.errors
    assert analysed("patents") and analysed("patent_ipc")


def test_a_dry_run_import_leaves_the_statistics_alone(fresh):
    result = import_patents(io.StringIO(CSV), "patents.csv", dry_run=True)
    assert result.created == 2 and not analysed("patents")


def _world():
    f.patent("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。")
    f.need("钕铁硼矫顽力提升", "希望采用晶界扩散技术提高钕铁硼磁体矫顽力。")
    db.session.commit()
    matching.rebuild_indexes()


def test_the_batch_match_job_analyses_the_tables(fresh):
    _world()
    assert not analysed("matches")
    job = jobs.submit("batch_match")  # eager in tests: runs here
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result["created"] >= 1 and "analyze_seconds" in job.result
    assert analysed("matches") and analysed("patents")


def test_the_match_command_analyses_the_tables(fresh):
    _world()
    result = fresh.test_cli_runner().invoke(args=["match"])
    assert result.exit_code == 0, result.output
    assert analysed("matches") and analysed("needs")


def test_the_demo_analyses_the_tables(fresh, stub_matching):  # noqa: F811
    result = fresh.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert analysed("patents") and analysed("matches") and analysed("organizations")
