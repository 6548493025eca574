"""Scores, bands and rule weights are the brokers' tools: enterprises and universities (the
parties, ``services.access.is_party``) see a recommended pair, its broker and its plain-language
reasons, never "得分 93 高" or "+0.030 与需求同一盟市". Brokers and administrators keep them."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db
from matchmaker.records import MatchStatus
from tests.pairs import cast, client_as

RULES = [
    {"rule": "region", "value": True, "label": "Same region as the need", "delta": 0.03},
    {"rule": "mode", "value": False, "label": "Licensing mode does not fit the cooperation mode",
     "delta": 0.0},
]
NUMBERS = ("+0.030", "+0.000", 'class="delta', 'class="match-score', 'class="score"',
           ">93<", "得分")


@pytest.fixture
def world(db_app):
    p = cast()
    m = p["match"]
    m.status = MatchStatus.RECOMMENDED
    m.broker = p["broker"]
    m.calibrated = 93
    m.explanation = {**m.explanation, "rules": RULES}
    db.session.commit()
    return p


def _get(app, who, url):
    response = client_as(app, who).get(url)
    assert response.status_code == 200, (who, url)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["ent1", "uni1"])
def test_parties_see_recommendations_without_scores_or_weights(world, db_app, who):
    html = _get(db_app, who, "/recommendations/")
    assert f'id="m{world["match"].id}"' in html
    for number in NUMBERS:
        assert number not in html, number
    # what helps them stays: the broker, the reasons in words, the shared terms
    assert "王经纪" in html
    assert "与需求同一盟市" in html and "<mark>钕铁硼</mark>" in html


@pytest.mark.parametrize(("who", "page"), [
    ("ent1", "patent"),  # the recommended patent, opened from /recommendations/
    ("ent1", "need"),  # its own need (already without scores; kept so)
    ("uni1", "patent"),  # its own patent
    ("uni1", "need"),  # the need recommended to its patent
])
def test_parties_see_no_scores_on_the_record_pages(world, db_app, who, page):
    html = _get(db_app, who, f"/{page}s/{world[page].id}")
    other = world["need" if page == "patent" else "patent"]
    assert other.title in html  # the pair is listed ...
    for number in NUMBERS:
        assert number not in html, number  # ... without its score or band


@pytest.mark.parametrize("who", ["admin1", "broker1"])
@pytest.mark.parametrize("page", ["patent", "need"])
def test_brokers_and_administrators_keep_the_scores(world, db_app, who, page):
    html = _get(db_app, who, f"/{page}s/{world[page].id}")
    assert 'class="match-score' in html and ">93<" in html and "得分" in html
