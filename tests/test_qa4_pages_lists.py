"""QA pass 4, lists as a person sees them (QA report B): the recommendations page past its last
page (D4), empty lists that say what to do next instead of blaming filters (D5), and the review
queue's count line naming the weak candidates its default view hides (D7)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.portal.needs.filters import NeedFilters
from matchmaker.portal.patents.filters import PatentFilters
from matchmaker.records import MatchStatus, OrgKind, Role, User
from tests import factories as f
from tests.pairs import cast, client_as, pair
from tests.test_page_queries import statements


@pytest.fixture
def recommended(db_app):
    db_app.config["PAGE_SIZE"] = 2
    p = cast()
    p["match"].status = MatchStatus.RECOMMENDED
    p["match"].broker = p["broker"]
    for i in range(2):  # three recommended pairs: two pages of two
        pair(need=p["need"], patent=f.patent(f"推荐专利{i}", owner=p["university_org"]),
             score=0.5 - i / 10, status=MatchStatus.RECOMMENDED, broker=p["broker"])
    db.session.commit()
    return p


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card recommendation" id="(m\d+)"', html)


# --- D4 -------------------------------------------------------------------------------------


def test_recommendations_past_the_last_page_show_the_last_page(recommended, db_app):
    client = client_as(db_app, "ent1")
    last = client.get("/recommendations/?page=2").get_data(as_text=True)
    assert len(_cards(last)) == 1
    far = client.get("/recommendations/?page=9999").get_data(as_text=True)
    assert _cards(far) == _cards(last)  # not "3 pairs" above "Nothing recommended yet"
    assert "暂无推荐" not in far and 'href="/recommendations/?page=1"' in far  # a way back


def test_feedback_posted_with_a_page_past_the_end_returns_to_the_card(recommended, db_app):
    client = client_as(db_app, "ent1")
    mid = int(_cards(client.get("/recommendations/?page=2").get_data(as_text=True))[0][1:])
    refused = client.post(f"/recommendations/{mid}/feedback",
                          data={f"m{mid}-feedback": "not_interested", "page": "9999"})
    assert refused.status_code == 400  # no reason given: the card shows the error in place
    assert f'id="m{mid}-reason-err"' in refused.get_data(as_text=True)
    sent = client.post(f"/recommendations/{mid}/feedback", follow_redirects=True,
                       data={f"m{mid}-feedback": "interested", "page": "9999"})
    assert f"m{mid}" in _cards(sent.get_data(as_text=True))


# --- D5 -------------------------------------------------------------------------------------


def test_filters_know_whether_any_is_set():
    assert not NeedFilters.from_args({}).active
    assert not NeedFilters.from_args({"semantic": "1", "status": "nonsense"}).active
    assert NeedFilters.from_args({"q": "磁体"}).active
    assert NeedFilters.from_args({"region": "包头市"}).active
    assert not PatentFilters.from_args({"semantic": "1"}).active
    assert PatentFilters.from_args({"open": "1"}).active
    assert PatentFilters.from_args({"section": "H"}).active


@pytest.fixture
def newcomers(app):
    """A new enterprise and a new university, with nothing posted yet."""
    f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE), username="new-ent")
    f.user(Role.UNIVERSITY, f.org(OrgKind.UNIVERSITY), username="new-uni")
    db.session.commit()


def test_a_new_enterprise_is_told_to_post_a_need_not_that_filters_match_nothing(newcomers, app):
    client = client_as(app, "new-ent")
    html = client.get("/needs/").get_data(as_text=True)
    assert "您还没有发布需求。" in html and "没有符合条件的需求" not in html
    assert re.search(r'id="next-step".*href="/needs/new"', html, re.S)
    assert "/needs/export" not in html  # no export of an empty list
    filtered = client.get("/needs/?status=open").get_data(as_text=True)
    assert "没有符合条件的需求。" in filtered and "您还没有发布需求" not in filtered
    assert '<a href="/needs/">清除筛选</a>' in filtered
    recommendations = client.get("/recommendations/").get_data(as_text=True)
    assert "请先发布需求" in recommendations and "每周审核" not in recommendations
    assert re.search(r'id="next-step".*href="/needs/new"', recommendations, re.S)
    assert "共 0 个配对" not in recommendations
    # once a need is posted: the list and its export links, and recommendations to wait for
    user = db.session.scalar(select(User).where(User.username == "new-ent"))
    f.need("第一个需求", enterprise=user.organization)
    db.session.commit()
    listed = client.get("/needs/").get_data(as_text=True)
    assert "第一个需求" in listed and 'href="/needs/export.csv"' in listed
    assert 'id="next-step"' not in listed
    waiting = client.get("/recommendations/").get_data(as_text=True)
    assert "暂无推荐。技术经纪人每周审核新的匹配结果。" in waiting and "请先发布需求" not in waiting


def test_a_new_university_is_told_to_add_patents(newcomers, app):
    client = client_as(app, "new-uni")
    html = client.get("/patents/").get_data(as_text=True)
    assert "贵单位还没有录入专利。" in html and "没有符合条件的专利" not in html
    assert 'href="/patents/new"' in html.split('id="next-step"')[1]
    assert 'href="/patents/upload"' in html.split('id="next-step"')[1]
    assert "/patents/export" not in html
    filtered = client.get("/patents/?open=1").get_data(as_text=True)
    assert "没有符合条件的专利。" in filtered and '<a href="/patents/">清除筛选</a>' in filtered
    recommendations = client.get("/recommendations/").get_data(as_text=True)
    assert "请先录入您的专利" in recommendations
    assert 'href="/patents/upload"' in recommendations.split('id="next-step"')[1]
    revival = client.get("/revival/").get_data(as_text=True)
    assert 'href="/patents/new"' in revival.split('id="next-step"')[1]
    urgent = client.get("/revival/?urgent=y").get_data(as_text=True)
    assert "没有可显示的休眠专利。" in urgent and 'id="next-step"' not in urgent


# --- D7 -------------------------------------------------------------------------------------


@pytest.fixture
def candidates(db_app):
    """Two strong candidates and three weak ones, all the broker's to review."""
    p = cast()
    p["match"].calibrated = 80
    pair(need=p["need"], patent=f.patent("强匹配专利"), score=0.7, calibrated=70)
    for i in range(3):
        pair(need=p["need"], patent=f.patent(f"弱匹配专利{i}"), score=0.3, calibrated=5 + i)
    pair(need=p["need"], patent=f.patent("已推荐的弱专利"), score=0.2, calibrated=3,
         status=MatchStatus.RECOMMENDED, broker=p["broker"])
    db.session.commit()
    return p


def _count_line(html: str) -> str:
    return re.search(r'<p class="count">(.*?)</p>', html, re.S).group(1)


def test_the_queue_count_says_how_many_weak_candidates_it_hides(candidates, db_app):
    client = client_as(db_app, "broker1")
    html = client.get("/queue/").get_data(as_text=True)
    assert "待审（当前·我可处理的）：5" in html  # the header counts weak candidates too
    line = _count_line(html)
    assert "共 2 个配对" in line and "另有 3 个弱匹配已隐藏" in line
    assert 'href="/queue/?strength=weak"' in line
    with statements() as seen:  # the figure is the header's, read in the same single pass
        client.get("/queue/")
    assert sum("count(matches" in sql.lower() for sql in seen) == 1, "\n".join(seen)
    # the same in another order: the number is the same
    by_age = _count_line(client.get("/queue/?sort=age").get_data(as_text=True))
    assert "另有 3 个弱匹配已隐藏" in by_age and "sort=age" in by_age and "strength=weak" in by_age
    # shown: nothing hidden any more
    shown = _count_line(client.get("/queue/?strength=weak").get_data(as_text=True))
    assert "共 5 个配对" in shown and "hidden-weak" not in shown
    # a filtered view says weak candidates are left out, without counting them
    region = _count_line(client.get("/queue/?region=包头市").get_data(as_text=True))
    assert "未显示弱匹配" in region and "strength=weak" in region and "region=" in region
    # a status without candidates hides none
    later = _count_line(client.get("/queue/?status=recommended").get_data(as_text=True))
    assert "hidden-weak" not in later
    english = client_as(db_app, "broker1")
    english.post("/auth/language/en")
    line = _count_line(english.get("/queue/").get_data(as_text=True))
    assert "2 pairs" in line and "(another 3 weak candidates are hidden; <a" in line
