"""One front door: settings read once, one builder, one service shared by every caller."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from matchmaker.config import load_config
from matchmaker.evaluation.__main__ import rank, task_engine
from matchmaker.evaluation.tasks import load_task
from matchmaker.matching.builder import build_engine
from matchmaker.matching.settings import EngineSettings
from matchmaker.services import matching
from matchmaker.services.matching_service import MatchingService
from matchmaker.text import prepare_need

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "beir_tiny"
sys.path.insert(0, str(ROOT / "bench"))
import bench_matching  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> EngineSettings:
    base = EngineSettings.from_config(load_config(str(tmp_path / "instance")))
    return base.but(index_dir=str(tmp_path / "indexes"), encoders=("fake",), threads=1)


def test_settings_come_from_the_config_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_ENCODER", "fake, use-multilingual")
    monkeypatch.setenv("MATCHMAKER_EXTRA_ENCODERS", "fake")
    monkeypatch.setenv("MATCHMAKER_MATCH_TOP_K", "7")
    settings = EngineSettings.from_config(load_config(str(tmp_path)))
    assert settings.encoders == ("fake", "use-multilingual")  # duplicates dropped, order kept
    assert settings.top_k == 7 and settings.vector_backend == "faiss"
    assert settings.exact_limit == 50_000 and settings.home_region == "包头市"


def test_the_fusion_and_its_feedback_come_from_the_settings(settings):
    from matchmaker.matching.fusion import FusionConfig

    assert settings.fusion == FusionConfig()  # one default, whoever builds the engine
    other = settings.but(fusion=FusionConfig(lexical_feedback=0.3))
    assert build_engine(other).fusion.lexical_feedback == 0.3
    assert build_engine(settings).fusion is settings.fusion


def test_unknown_vector_backend_is_refused_by_name(settings):
    with pytest.raises(ValueError, match="unknown vector backend 'qdrant'"):
        build_engine(settings.but(vector_backend="qdrant"))


def test_service_evaluation_and_bench_rank_alike(settings):
    task = load_task(TINY)
    engine, _ = task_engine(task, "hybrid", settings, use_cache=False)
    service = MatchingService(engine, settings)
    doc_ids = list(task.corpus)
    evaluation = rank(engine, task, depth=10)
    assert any(evaluation.values())
    for qid, text in task.queries.items():
        by_service = [doc_ids[h.id] for h in service.search("patents", text, 10)]
        by_bench = [doc_ids[i] for i in bench_matching.ranking(engine, prepare_need(text), 10)]
        assert by_service == evaluation[qid] == by_bench, qid


def test_the_evaluation_json_names_the_vector_backend(capsys):
    import json

    from matchmaker.evaluation.__main__ import main

    assert main([str(TINY), "--json", "--encoder", "fake", "--extra-encoders", "",
                 "--no-cache"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["vector_backend"] == "faiss" and result["channels"] == ["fake", "bm25"]


def test_the_service_is_built_once_per_worker(db_app, monkeypatch):
    built = []
    real = matching.build_service

    def counting(config):
        built.append(1)
        return real(config)

    monkeypatch.setattr(matching, "build_service", counting)
    db_app.extensions.pop(matching.EXTENSION, None)
    first = matching.service()
    assert matching.service() is first and matching.engine() is first.engine
    assert built == [1]
    monkeypatch.setattr("os.getpid", lambda: -1)  # a forked child builds its own
    assert matching.service() is not first and built == [1, 1]


def test_a_saved_need_is_encoded_once_for_indexing_and_matching(db_app, monkeypatch):
    from matchmaker.extensions import db
    from tests import factories as f

    f.patent("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。")
    db.session.commit()
    matching.rebuild_indexes()
    need = f.need("钕铁硼矫顽力提升", "希望采用晶界扩散技术提高钕铁硼磁体矫顽力。")
    db.session.commit()
    encoder = matching.engine().primary.encoder
    seen = []
    real = encoder.encode

    def counting(texts, **kw):
        seen.extend(texts)
        return real(texts, **kw)

    monkeypatch.setattr(encoder, "encode", counting)
    assert matching.match_and_store_need(need.id) == 1
    assert sum("矫顽力提升" in text for text in seen) == 1
    stored = matching.engine().primary.stores["needs"].fresh()
    assert need.id in set(stored.ids().tolist())


def test_a_sync_appends_to_the_log_and_compact_index_folds_it(db_app):
    from matchmaker.extensions import db
    from tests import factories as f

    first = f.patent("一种烧结钕铁硼磁体的晶界扩散方法", "本发明通过晶界扩散镝提高钕铁硼矫顽力。")
    db.session.commit()
    matching.rebuild_indexes()
    stores = [c.stores["patents"] for c in matching.engine().channels()]
    versions = [s.manifest().version for s in stores]
    second = f.patent("一种全钒液流电池电解液", "全钒液流电池电解液的制备方法。")
    db.session.commit()
    matching.sync_patents([second.id])
    assert [s.manifest().version for s in stores] == versions  # no rewrite, no reload
    assert [s.pending() for s in stores] == [1, 1]
    assert matching.search_patents("全钒液流电池", 1)[0][0] == second.id
    assert matching.index_status()["state"] == "built"  # the log counts
    result = db_app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["compact-index"])
    assert result.exit_code == 0 and "patents-bm25: 1 changes folded" in result.output
    assert [s.manifest().version for s in stores] == [v + 1 for v in versions]
    assert [s.pending() for s in stores] == [0, 0]
    assert {h[0] for h in matching.search_patents("钕铁硼 液流电池", 5)} == {first.id, second.id}



def test_calibrated_search_keeps_the_search_order_and_scores_in_bounds(settings):
    """The portal's search lists the engine's hits in their order, each with a calibrated
    0-100 score (the shipped calibration file)."""
    task = load_task(TINY)
    engine, _ = task_engine(task, "hybrid", settings, use_cache=False)
    service = MatchingService(engine, settings)
    assert engine.calibration.model is not None
    for text in list(task.queries.values())[:5]:
        plain = service.search("patents", text, 10)
        scored = service.search_calibrated("patents", text, 10)
        assert [h.id for h in plain] == [h.id for h, _ in scored]
        assert all(isinstance(c, int) and 0 <= c <= 100 for _, c in scored)
