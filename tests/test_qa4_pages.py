"""QA pass 4, what a person sees (QA report B): the 405 page (D3), Chinese punctuation and one
word for amounts on the pages of pairs, jobs and recommendations (D10, D11), the note on rank
and score of "find matches now" (D18), the browser's language when the session has none (D16)
and the favicon (D19)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, LicenceMode, MatchStatus, RejectionReason
from matchmaker.services import matching
from tests import factories as f
from tests.pairs import EXPLANATION, cast, client_as

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def _english(client):
    assert client.post("/auth/language/en").status_code == 302
    return client


# --- D3: 405 --------------------------------------------------------------------------------


def test_a_post_address_opened_in_the_browser_gets_the_portals_405_page(app):
    cast()
    page = client_as(app, None).get("/auth/logout")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    html = page.get_data(as_text=True)
    assert "此地址不能直接打开，请返回上一页，使用页面上的按钮。" in html
    assert 'class="topbar"' in html and 'href="/">返回首页</a>' in html  # layout and way back
    assert "Method Not Allowed" not in html
    broker = client_as(app, "broker1")  # logged in: the menu, in the screen's language
    html = _english(broker).get("/queue/bulk").get_data(as_text=True)
    assert 'id="mainnav"' in html
    assert "This address cannot be opened directly. Go back and use the button on the page." in html
    # the API keeps its problem+json
    api = app.test_client().put("/api/v1/needs")
    assert api.status_code == 405 and api.mimetype == "application/problem+json"


# --- D10, D11: punctuation and amounts ------------------------------------------------------


def test_pair_page_uses_chinese_colons_lists_and_one_word_for_no_amount(app):
    p = cast()
    p["patent"].licensing_modes = [LicenceMode.TRANSFER, LicenceMode.ORDINARY]
    p["match"].broker = p["broker"]
    p["match"].status = MatchStatus.REJECTED
    p["match"].rejection_reason = RejectionReason.NOT_RELEVANT
    db.session.commit()
    admin = client_as(app, "admin1")
    html = admin.get(f"/queue/{p['match'].id}").get_data(as_text=True)
    for said in ("经纪人：王经纪", "来源：", "已拒绝：", 'id="need-h">需求：', 'id="patent-h">专利：'):
        assert said in html, said
    assert "普通许可、转让" in html or "转让、普通许可" in html
    for ascii_colon in ("经纪人:", "来源:", "需求:", "专利:", "已拒绝:"):
        assert ascii_colon not in html, ascii_colon
    assert html.count("面议") == 2  # no budget, no asking price: 面议, as on the need's page
    english = _english(admin).get(f"/queue/{p['match'].id}").get_data(as_text=True)
    assert "Broker: 王经纪" in english
    assert re.search(r"<dt>Licensing</dt><dd>[^<、]+, [^<、]+</dd>", english)
    assert english.count("Negotiable") == 2 and "Budget (10k yuan)" in english


def test_recommendations_and_job_pages_use_chinese_colons(app):
    p = cast()
    p["patent"].licensing_modes = [LicenceMode.TRANSFER, LicenceMode.ORDINARY]
    p["broker"].email = "broker1@example.com"
    p["match"].status = MatchStatus.RECOMMENDED
    p["match"].broker = p["broker"]
    job = Job(kind="import_patents", created_by_id=p["university"].id, status=JobStatus.SUCCEEDED)
    db.session.add(job)
    db.session.commit()
    html = client_as(app, "ent1").get("/recommendations/").get_data(as_text=True)
    assert f"对应需求：{p['need'].title}" in html
    assert "经纪人：王经纪（broker1@example.com）" in html and "共同术语：" in html
    assert ("普通许可、转让" in html or "转让、普通许可" in html) and "面议" in html
    job_html = client_as(app, "uni1").get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f"任务 #{job.id}：" in job_html


# --- D18: find matches now ------------------------------------------------------------------


@pytest.fixture
def ranked(app, monkeypatch):
    """A need whose engine ranking puts a lower calibrated score above a higher one."""
    p = cast()
    second = f.patent("一种高矫顽力磁体", owner=p["university_org"])
    db.session.commit()

    def candidate(patent, rank, calibrated, score):
        return SimpleNamespace(patent_id=patent.id, need_id=p["need"].id, rank=rank,
                               calibrated=calibrated, score=score, explanation=dict(EXPLANATION))

    def match_need(need, k=10, explain=True):
        return [candidate(p["patent"], 1, 12, 0.9), candidate(second, 2, 18, 0.8)]

    def match_patent(patent, k=10, explain=True):
        return [SimpleNamespace(patent_id=p["patent"].id, need_id=p["need"].id, rank=1,
                                calibrated=12, score=0.9, explanation=dict(EXPLANATION))]

    monkeypatch.setattr(matching, "match_need", match_need)
    monkeypatch.setattr(matching, "match_patent", match_patent)
    return p


def test_find_matches_now_explains_rank_and_score_and_uses_chinese_colons(ranked, app):
    admin = client_as(app, "admin1")
    for url in (f"/needs/{ranked['need'].id}/matches", f"/patents/{ranked['patent'].id}/matches"):
        html = admin.get(url).get_data(as_text=True)
        assert 'id="rank-note"' in html and "排名按撮合引擎的相关度" in html, url
        assert "暂无强匹配</strong>：" in html, url  # every candidate is weak here
    english = _english(admin).get(f"/needs/{ranked['need'].id}/matches").get_data(as_text=True)
    assert "Ranked by the engine's relevance; the score (0-100) is how likely a broker" in english


# --- D16: the browser's language ------------------------------------------------------------


def test_without_a_choice_in_the_session_the_browser_language_comes_before_the_default(app):
    p = cast()
    anonymous = app.test_client()
    english = anonymous.get("/auth/login", headers=ENGLISH)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Accept-Language" in english.vary  # a shared cache keeps one copy per language
    german = anonymous.get("/auth/login", headers={"Accept-Language": "de-DE"})
    assert '<html lang="zh-CN">' in german.get_data(as_text=True)  # none we have: the default
    both = anonymous.get("/auth/login", headers={"Accept-Language": "fr, en;q=0.5, zh;q=0.4"})
    assert '<html lang="en">' in both.get_data(as_text=True)  # the first language we have
    # ?lang=, the user's saved choice and the session's choice all come first
    assert '<html lang="zh-CN">' in anonymous.get(
        "/auth/login?lang=zh_CN", headers=ENGLISH).get_data(as_text=True)
    p["admin"].locale = "zh_CN"
    db.session.commit()
    admin = client_as(app, "admin1")
    assert '<html lang="zh-CN">' in admin.get("/queue/", headers=ENGLISH).get_data(as_text=True)
    chosen = app.test_client()
    chosen.post("/auth/language/zh_CN")
    assert '<html lang="zh-CN">' in chosen.get("/auth/login", headers=ENGLISH).get_data(as_text=True)


def test_a_form_sent_after_the_session_was_lost_is_refused_in_the_browsers_language(csrf_app):
    """QA D16: an English visitor's cookies are gone; the 400 page must not switch to Chinese."""
    f.patent()
    db.session.commit()
    refused = csrf_app.test_client().post("/auth/login", headers=ENGLISH,
                                          data={"username": "x", "password": "y"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "The form was not sent from this site or has expired" in html
    assert "表单" not in html


# --- D19: favicon ---------------------------------------------------------------------------


def test_every_page_links_a_favicon_that_is_served(app):
    client = app.test_client()
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
