"""The review loop: next pair of the same filtered queue, filters kept, bulk recommend,
select-all without JavaScript, saved views (issue 10, point 1)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from matchmaker.errors import NotFound, ValidationError
from matchmaker.extensions import db
from matchmaker.records import MatchHistory, MatchStatus, SavedView
from matchmaker.services import review, saved_views
from matchmaker.services.queue import QueueFilters
from tests.pairs import client_as
from tests.test_queue import world  # noqa: F401  (the five-pair fixture)

S = MatchStatus


def test_next_pair_follows_the_queue_order(world):  # noqa: F811
    broker, m1, m2, m3 = world["broker"], world["m1"], world["m2"], world["m3"]
    assert review.next_pair_id(broker, QueueFilters(), m1.id) == m2.id
    assert review.next_pair_id(broker, QueueFilters(), m3.id) is None  # the end of the queue
    by_age = QueueFilters(sort="age")  # m3, m2, m1
    assert review.next_pair_id(broker, by_age, m3.id) == m2.id
    # a pair outside the queue (m4 is recommended) is followed by the queue's first pair
    assert review.next_pair_id(broker, QueueFilters(), world["m4"].id) == m1.id


def test_next_pair_beyond_the_queue_head_reads_further(world, monkeypatch):  # noqa: F811
    """The head is read first; a pair at its edge or further down still gets its successor."""
    monkeypatch.setattr(review, "NEAR", 2)  # head: m1, m2
    broker, m1, m2, m3 = world["broker"], world["m1"], world["m2"], world["m3"]
    assert review.next_pair_id(broker, QueueFilters(), m1.id) == m2.id
    assert review.next_pair_id(broker, QueueFilters(), m2.id) == m3.id  # at the head's edge
    assert review.next_pair_id(broker, QueueFilters(), m3.id) is None  # beyond it, the end
    # a pair outside the queue, the head full: the queue's first pair
    assert review.next_pair_id(broker, QueueFilters(), world["m4"].id) == m1.id


def test_queue_links_carry_the_filters_and_the_pair_page_keeps_them(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    html = client.get("/queue/?sort=age&region=包头市").get_data(as_text=True)
    m1, m3 = world["m1"].id, world["m3"].id
    q = quote("region=%E5%8C%85%E5%A4%B4%E5%B8%82&sort=age", safe="")  # a query string, quoted
    # 包头市 by age: m3 (30 days) then m1
    assert f'href="/queue/{m3}?q={q}"' in html
    html = client.get(f"/queue/{m3}?q={q}").get_data(as_text=True)
    assert f'id="next-pair" class="button" href="/queue/{m1}?q={q}"' in html
    assert 'href="/queue/?region=%E5%8C%85%E5%A4%B4%E5%B8%82&amp;sort=age"' in html  # back, filtered
    assert 'class="actionbar' in html and 'data-shortcut="r"' in html and 'data-shortcut="x"' in html


def test_the_last_strong_pair_leads_on_to_the_weak_candidates(world, db_app):  # noqa: F811
    """QA, stop 35: after the queue's last strong pair the button read "Queue done" while 234
    weak candidates were still waiting, hidden by the default view."""
    m3 = world["m3"]
    m3.calibrated = 5  # under the strong-match line: hidden by default
    db.session.commit()
    client = client_as(db_app, "broker1")
    m1, m2 = world["m1"].id, world["m2"].id
    assert review.next_pair_id(world["broker"], QueueFilters(), m2) is None  # m2 ends it
    html = client.get(f"/queue/{m2}").get_data(as_text=True)
    assert (f'id="next-pair" class="button" href="/queue/{m3.id}?q=strength%3Dweak"' in html
            or f'href="/queue/{m1}?q=strength%3Dweak"' in html), html[html.index("next-pair"):][:200]
    assert "强匹配已审完：继续审弱匹配候选" in html
    last = client.get(f"/queue/{m3.id}?q=strength%3Dweak").get_data(as_text=True)
    assert "强匹配已审完" not in last  # the weak walk ends as the queue does


def test_recommending_lands_on_the_next_pair_of_the_filtered_queue(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    m1, m2 = world["m1"].id, world["m2"].id
    page = client.get(f"/queue/{m1}?q=sort%3Dscore").get_data(as_text=True)
    assert f'name="next" value="/queue/{m2}?q=sort%3Dscore"' in page
    response = client.post(f"/pipeline/{m1}/move/recommended",
                           data={"next": f"/queue/{m2}?q=sort%3Dscore"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/queue/{m2}?q=sort%3Dscore"
    db.session.expire_all()
    assert world["m1"].status is S.RECOMMENDED


def test_a_refused_rejection_keeps_the_queue_and_changes_nothing(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    m1 = world["m1"].id
    response = client.post(f"/pipeline/{m1}/move/rejected", data={"q": "sort=age"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="rejected-rejection_reason-err"' in html or 'aria-invalid="true"' in html
    assert 'name="q" value="sort=age"' in html
    db.session.expire_all()
    assert world["m1"].status is S.CANDIDATE


@pytest.mark.parametrize("q", [
    "https://evil.example/?x=1", "//evil.example", "/admin/users", "sort=age&next=//evil",
    "score_min=abc", "status=nonsense", "x" * 3000,
])
def test_q_is_only_ever_a_known_relative_query_string(world, db_app, q):  # noqa: F811
    client = client_as(db_app, "broker1")
    html = client.get(f"/queue/{world['m1'].id}", query_string={"q": q}).get_data(as_text=True)
    carried = re.findall(r'name="q" value="([^"]*)"', html)
    back = re.search(r'id="back-to-queue" class="button no-print" href="([^"]*)"', html)[1]
    after = re.search(r'id="next-pair" class="button" href="([^"]*)"', html)[1]
    assert carried and set(carried) <= {"", "sort=age"}  # rebuilt from known filters only
    assert back in ("/queue/", "/queue/?sort=age")
    # (or on to the weak candidates: the same known filters, strength=weak added)
    assert after == back or re.fullmatch(
        r"/queue/\d+(\?q=(strength%3Dweak(%26)?)?(sort%3Dage)?)?", after), after


def test_bulk_recommend(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    response = client.post("/queue/bulk", data={"ids": [world["m1"].id, world["m2"].id],
                                                 "recommend": "1", "next": "/queue/?sort=age"})
    assert response.headers["Location"] == "/queue/?sort=age"
    db.session.expire_all()
    assert world["m1"].status is S.RECOMMENDED and world["m2"].status is S.RECOMMENDED


def test_bulk_recommend_is_all_or_none(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    before = db.session.scalar(select(func.count(MatchHistory.id)))
    client.post("/queue/bulk", data={"ids": [world["m1"].id, world["m5"].id],  # m5 is rejected
                                     "recommend": "1"})
    db.session.expire_all()
    assert world["m1"].status is S.CANDIDATE
    assert db.session.scalar(select(func.count(MatchHistory.id))) == before


def test_select_all_on_the_page_without_javascript(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    html = client.get("/queue/").get_data(as_text=True)
    assert 'id="select-all"' in html and html.count('name="page_ids"') == 3
    client.post("/queue/bulk", data={
        "page_ids": [world["m1"].id, world["m2"].id, world["m3"].id], "ids": [world["m1"].id],
        "all_on_page": "1", "rejection_reason": "not_relevant", "reject": "1"})
    db.session.expire_all()
    assert {world[k].status for k in ("m1", "m2", "m3")} == {S.REJECTED}


def test_saved_views_are_per_broker(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    response = client.post("/queue/views", data={"name": " 包头 老的 ", "q": "region=包头市&sort=age&bogus=1"})
    assert response.status_code == 302
    view = db.session.scalar(select(SavedView))
    assert view.name == "包头 老的" and view.user_id == world["broker"].id
    assert view.query == "region=%E5%8C%85%E5%A4%B4%E5%B8%82&sort=age"  # known filters only
    html = client.get("/queue/").get_data(as_text=True)
    assert "包头 老的" in html and f"/queue/?{view.query}".replace("&", "&amp;") in html
    client.post("/queue/views", data={"name": "包头 老的", "q": "sort=newest"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SavedView.id))) == 1  # same name replaces
    assert view.query == "sort=newest"
    other = client_as(db_app, "broker2")
    assert "包头 老的" not in other.get("/queue/").get_data(as_text=True)
    assert other.post(f"/queue/views/{view.id}/delete").status_code == 404
    assert client.post(f"/queue/views/{view.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(SavedView.id))) == 0


def test_saved_view_rules(world):  # noqa: F811
    broker = world["broker"]
    with pytest.raises(ValidationError):
        saved_views.save_view(broker, "   ", "")
    with pytest.raises(ValidationError):
        saved_views.save_view(broker, "x" * 61, "")
    for i in range(saved_views.VIEWS_PER_USER):
        saved_views.save_view(broker, f"v{i}", "")
    with pytest.raises(ValidationError):
        saved_views.save_view(broker, "one too many", "")
    with pytest.raises(NotFound):
        saved_views.delete_view(world["other_broker"], saved_views.list_views(broker)[0].id)


PAIR_LINK = re.compile(r'<td class="score" data-label="[^"]*"><a href="([^"]*)"')


def test_a_pair_opened_from_the_pipeline_table_returns_to_it_and_walks_it(world, db_app):  # noqa: F811
    client = client_as(db_app, "admin1")
    html = client.get("/pipeline/table?sort=score").get_data(as_text=True)
    links = [link.replace("&amp;", "&") for link in PAIR_LINK.findall(html)]
    # every status, by score: the recommended m4 (0.9) first, the rejected m5 (0.3) last
    assert links[0].startswith(f"/queue/{world['m4'].id}?") and len(links) == 5
    assert all("via=table" in link and "status%3Dall" in link for link in links)
    page = client.get(links[0]).get_data(as_text=True)
    back = re.search(r'id="back-to-queue" class="button no-print" href="([^"]*)"', page)[1]
    after = re.search(r'id="next-pair" class="button" href="([^"]*)"', page)[1]
    assert back.replace("&amp;", "&") == "/pipeline/table?status=all&sort=score"
    assert "返回撮合进度表" in page
    assert after.replace("&amp;", "&") == links[1]  # the table's next row, not the queue's
    # the table's last pair: its "next" leads back to the table
    last = client.get(links[-1]).get_data(as_text=True)
    after = re.search(r'id="next-pair" class="button" href="([^"]*)"', last)[1]
    assert after.replace("&amp;", "&") == "/pipeline/table?status=all&sort=score"
    assert 'name="via" value="table"' in last


def test_a_move_from_the_table_keeps_the_way_back(world, db_app):  # noqa: F811
    client = client_as(db_app, "admin1")
    m4 = world["m4"].id  # recommended: 已联系 is a move outside the review bar
    response = client.post(f"/pipeline/{m4}/move/contacted",
                           data={"q": "status=all&sort=score", "via": "table"})
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/queue/{m4}?q=status%3Dall%26sort%3Dscore&via=table")


def test_a_pair_opened_from_the_board_returns_to_the_board(world, db_app):  # noqa: F811
    client = client_as(db_app, "broker1")
    html = client.get("/pipeline/").get_data(as_text=True)
    m3 = world["m3"].id  # assigned to broker1: on their board
    assert f'href="/queue/{m3}?via=board"' in html
    page = client.get(f"/queue/{m3}?via=board").get_data(as_text=True)
    back = re.search(r'id="back-to-queue" class="button no-print" href="([^"]*)"', page)[1]
    after = re.search(r'id="next-pair" class="button" href="([^"]*)"', page)[1]
    assert back == after == "/pipeline/" and "返回看板" in page


@pytest.mark.parametrize("via", ["evil", "//evil.example", "queue", ""])
def test_an_unknown_origin_is_the_review_queue(world, db_app, via):  # noqa: F811
    client = client_as(db_app, "broker1")
    page = client.get(f"/queue/{world['m1'].id}", query_string={"via": via}).get_data(as_text=True)
    back = re.search(r'id="back-to-queue" class="button no-print" href="([^"]*)"', page)[1]
    assert back == "/queue/" and "返回待审队列" in page


def test_the_language_switch_on_a_refused_form_returns_to_the_page_the_form_was_on(
        world, db_app):  # noqa: F811
    """A form re-rendered with its error sits at a post-only address: switching the language
    there went back to it (405) and, reloaded, would post the form again."""
    client = client_as(db_app, "broker1")
    m1 = world["m1"].id
    pair_page = f"/queue/{m1}?q=sort%3Dage"
    response = client.post(f"/pipeline/{m1}/move/rejected", data={"q": "sort=age"},
                           headers={"Referer": f"http://localhost{pair_page}"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    switch = re.search(r'name="next" value="([^"]*)"', html)[1]
    assert switch.replace("&amp;", "&") == pair_page
    token = re.search(r'name="csrf_token" value="([^"]*)"', html)[1]
    action = re.search(r'<form method="post" action="([^"]*/language/en)"', html)[1]
    answer = client.post(action, data={"next": pair_page, "csrf_token": token})
    assert answer.headers["Location"] == pair_page
    assert client.get(pair_page).status_code == 200
    # no referrer, or another site's: the switch goes home rather than to the post's address
    for referrer in ({}, {"Referer": "https://evil.example/queue/1"}):
        html = client.post(f"/pipeline/{m1}/move/rejected", data={"q": "sort=age"},
                           headers=referrer).get_data(as_text=True)
        assert re.search(r'name="next" value="([^"]*)"', html)[1] == ""
