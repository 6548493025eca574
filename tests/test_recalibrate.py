"""``flask recalibrate`` (issue 9): after a new calibration model, every stored pair's
calibrated score is recomputed, whatever its status, in the direction it was found."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Match, MatchStatus, OrgKind
from matchmaker.services import matching
from matchmaker.services.recalibrate import recalibrate
from tests import factories as f
from tests.pairs import pair


def _world():
    enterprise = f.org(OrgKind.ENTERPRISE, name="包头磁材企业")
    magnet = f.patent("一种钕铁硼磁体晶界扩散方法", "通过晶界扩散镝提高烧结钕铁硼磁体的矫顽力。")
    other = f.patent("一种风电叶片前缘防护涂层", "在叶片前缘喷涂聚氨酯弹性体抵抗雨蚀。")
    need = f.need("钕铁硼磁体矫顽力提升", "希望采用晶界扩散技术提高钕铁硼磁体矫顽力。",
                  keywords=["钕铁硼", "晶界扩散"], enterprise=enterprise)
    db.session.commit()
    matching.rebuild_indexes()
    return need, magnet, other


def test_recalibrate_rewrites_every_stored_score_as_the_engine_gives_it(db_app):
    need, magnet, other = _world()
    fresh = {c.patent_id: c.calibrated for c in matching.match_need(need, 5)}
    stale = pair(need=need, patent=magnet, score=0.9, status=MatchStatus.RECOMMENDED,
                 calibrated=3)
    unscored = pair(need=need, patent=other, score=0.1)  # stored before calibration: None
    db.session.commit()
    assert unscored.calibrated is None
    report = recalibrate(batch=1)
    assert report == {"pairs": 2, "changed": 2, "records": 1, "missing": 0}
    db.session.expire_all()
    assert db.session.get(Match, stale.id).calibrated == fresh[magnet.id]
    assert db.session.get(Match, stale.id).status is MatchStatus.RECOMMENDED  # only the score
    low = db.session.get(Match, unscored.id).calibrated
    assert low is not None and 0 <= low < fresh[magnet.id]
    assert recalibrate()["changed"] == 0  # a rerun finds nothing to change


def test_recalibrate_command(db_app):
    need, magnet, _ = _world()
    matching.match_and_store_need(need.id, 3)
    stored = db.session.scalar(select(Match).where(Match.patent_id == magnet.id))
    right = stored.calibrated
    stored.calibrated = 1
    db.session.commit()
    result = db_app.test_cli_runner().invoke(args=["recalibrate", "--batch", "10"])
    assert result.exit_code == 0, result.output
    assert "pairs of 1 records rescored" in result.output
    db.session.expire_all()
    assert db.session.get(Match, stored.id).calibrated == right
    bad = db_app.test_cli_runner().invoke(args=["recalibrate", "--batch", "0"])
    assert bad.exit_code != 0 and "batch" in bad.output.lower()
