"""Every document encoded once: the encode counter, and batch matching reusing indexed vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.encoders import counting
from matchmaker.encoders.fake import FakeEncoder
from matchmaker.extensions import db
from matchmaker.matching.channels import encode_prepared
from matchmaker.records import Match
from matchmaker.services import matching
from matchmaker.text import prepare_need
from tests import factories as f

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture(autouse=True)
def fresh_counts():
    counting.reset()
    yield
    counting.reset()


def test_counter_tells_texts_documents_and_purpose_apart():
    encoder = FakeEncoder()
    encoder.encode(["稀土永磁", "风电叶片"])
    with counting.purpose(counting.QUERIES):
        encode_prepared(encoder, [prepare_need("钕铁硼矫顽力。晶界扩散。")])
    counts = counting.snapshot()["fake"]
    assert counts["documents"] == {"texts": 2, "documents": 0}
    assert counts["queries"]["documents"] == 1 and counts["queries"]["texts"] >= 1
    assert counting.summary().startswith("encoded: fake documents 2 texts, queries 1 docs / ")
    encoder.encode([])  # nothing encoded, nothing counted
    assert counting.snapshot()["fake"]["documents"]["texts"] == 2
    counting.reset()
    assert counting.summary() == "encoded: nothing"


@pytest.fixture
def world(db_app):
    patents = [
        f.patent("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。"),
        f.patent("一种风电叶片除冰装置", "叶片内置电加热膜，防止风电叶片结冰。", dormant=True),
        f.patent("一种铈基稀土抛光粉", "铈基抛光粉粒度分布均匀，用于玻璃抛光。", dormant=True),
    ]
    needs = [
        f.need("钕铁硼矫顽力提升", "希望采用晶界扩散技术提高钕铁硼磁体矫顽力。"),
        f.need("风电叶片结冰", "风电场叶片冬季结冰，需要除冰技术。", keywords=["除冰"]),
        f.need("玻璃抛光粉", "需要粒度均匀的稀土抛光粉用于玻璃抛光。", keywords=["抛光"]),
    ]
    db.session.commit()
    matching.rebuild_indexes()
    return patents, needs


def _ranking(ranked) -> list[tuple[int, float]]:
    return [(r.id, round(r.score, 6)) for r in ranked]


def test_indexed_vectors_rank_like_a_fresh_encoding(world):
    patents, needs = world
    service = matching.service()
    for need in needs:
        reused = service.match_need(need, 10, vectors=service.indexed_vectors("needs", need.id))
        assert _ranking(reused) == _ranking(service.match_need(need, 10))
    for patent in patents:
        reused = service.match_patent(patent, 10,
                                      vectors=service.indexed_vectors("patents", patent.id))
        assert _ranking(reused) == _ranking(service.match_patent(patent, 10))


def test_batch_encodes_no_indexed_document_again(world):
    counting.reset()
    report = matching.run_batch_matching(top_k=10)
    counts = counting.snapshot().get("fake", {})
    assert "queries" not in counts, counts  # each query used its indexed vectors
    assert "documents" not in counts, counts  # and so did the candidate needs' explanations
    assert report["needs"] == 3 and db.session.query(Match).count() > 0


def test_batch_still_encodes_a_record_missing_from_the_index(world):
    patents, needs = world
    extra = f.need("抛光粉粒度", "稀土抛光粉粒度控制。", keywords=["抛光"])
    db.session.commit()  # saved after the build and never synced: not in the needs index
    assert matching.service().indexed_vectors("needs", extra.id) == {}
    assert set(matching.service().indexed_vectors("needs", needs[0].id)) == {"fake"}
    counting.reset()
    matching.run_batch_matching(top_k=5)
    assert counting.snapshot()["fake"]["queries"]["documents"] == 1  # only the new need


def test_import_and_match_commands_print_what_was_encoded(db_app, monkeypatch):
    runner = db_app.test_cli_runner()
    matching.rebuild_indexes()  # an existing (empty) index: the import syncs its rows into it
    counting.reset()
    result = runner.invoke(args=["import-patents", str(FIXTURES / "patents.csv")])
    assert result.exit_code == 0, result.output
    assert "encoded:" not in result.output  # a benchmark's diagnostic, not the user's output
    monkeypatch.setenv(counting.REPORT_ENV, "1")
    result = runner.invoke(args=["import-patents", str(FIXTURES / "patents.csv")])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("encoded:"))
    assert line.startswith("encoded: fake documents 3 docs / ")  # 3 rows, each encoded once
    counting.reset()
    result = runner.invoke(args=["match"])
    assert result.exit_code == 0, result.output
    assert "encoded: " in result.output
