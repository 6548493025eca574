"""The queue's score filter (最低得分 / 最高得分) works on the calibrated 0-100 score the lists
show, not on the fused engine score (about 0.96-0.998 for every listed pair)."""

from __future__ import annotations

import re

import pytest

from matchmaker.extensions import db
from matchmaker.services import queue
from matchmaker.services.queue import QueueFilters
from tests import factories as f
from tests.pairs import cast, client_as, pair


@pytest.fixture
def scored(db_app):
    """Pairs as the engine stores them: fused scores all near 1, calibrated scores spread out."""
    p = cast()
    p["match"].score, p["match"].calibrated = 0.991, 85
    p["mid"] = pair(need=f.need("风电叶片回收需求"), patent=f.patent("一种复合材料回收方法"),
                    score=0.998, calibrated=62)
    p["low"] = pair(need=f.need("氢能储运需求"), patent=f.patent("一种储氢合金"),
                    score=0.975, calibrated=40)
    # stored before calibration: the lists show its raw score
    p["bare"] = pair(need=f.need("光伏组件回收需求"), patent=f.patent("一种光伏板拆解装置"),
                     score=0.996, calibrated=None)
    db.session.commit()
    return p


def _titles(html: str, p) -> list[str]:
    return [key for key in ("match", "mid", "low", "bare") if p[key].patent.title in html]


def test_the_service_bounds_the_calibrated_score(scored):
    p = scored

    def shown(**bounds):
        page = queue.queue_page(p["admin"], QueueFilters(weak=True, **bounds))
        return [m.id for m in page.items]

    assert shown(calibrated_min=60) == [p["match"].id, p["mid"].id]
    assert shown(calibrated_max=62) == [p["mid"].id, p["low"].id]
    assert shown(calibrated_min=41, calibrated_max=84) == [p["mid"].id]
    # without a calibrated score a pair cannot be said to be in any range
    assert p["bare"].id not in shown(calibrated_min=0)
    assert p["bare"].id not in shown(calibrated_max=100)
    assert p["bare"].id in shown()


def test_the_queue_filters_on_the_score_people_see(scored, db_app):
    p = scored
    client = client_as(db_app, "admin1")
    html = client.get("/queue/?strength=weak&score_min=70").get_data(as_text=True)
    assert 'class="errors"' not in html
    assert _titles(html, p) == ["match"]
    html = client.get("/queue/?strength=weak&score_min=50&score_max=70").get_data(as_text=True)
    assert _titles(html, p) == ["mid"]
    # the pipeline table shares the filter bar
    html = client.get("/pipeline/table?status=all&strength=weak&score_max=50").get_data(as_text=True)
    assert 'class="errors"' not in html
    assert _titles(html, p) == ["low"]


def test_the_inputs_take_0_to_100_in_whole_points(scored, db_app):
    html = client_as(db_app, "admin1").get("/queue/").get_data(as_text=True)
    for name in ("score_min", "score_max"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'min="0"' in tag and 'max="100"' in tag and 'step="1"' in tag, tag


@pytest.mark.parametrize(("locale", "message"), [
    ("zh_CN", "请输入 0 到 100 之间的得分。"), ("en", "Enter a score from 0 to 100."),
])
def test_out_of_range_says_so_in_the_screens_language(scored, db_app, locale, message):
    client = client_as(db_app, "admin1")
    if locale == "en":
        client.post("/auth/language/en")
    html = client.get("/queue/?score_max=101&age_min=-1").get_data(as_text=True)
    assert message in html
    assert "Number must be between" not in html


def test_old_saved_views_with_engine_scores_still_load(scored, db_app):
    """A view saved when the bound was an engine score (0.5) is 0.5 points now: no error."""
    p = scored
    client = client_as(db_app, "admin1")
    html = client.get("/queue/?strength=weak&score_min=0.5").get_data(as_text=True)
    assert 'class="errors"' not in html
    assert _titles(html, p) == ["match", "mid", "low"]
    # a pair page opened from such a view keeps its filters (``q`` is validated by the same form)
    response = client.get(f"/queue/{p['mid'].id}?q=strength%3Dweak%26score_min%3D0.5")
    assert response.status_code == 200
    assert "score_min=0.5" in response.get_data(as_text=True)
