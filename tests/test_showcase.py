"""The public showcase (成果展示): anonymous browsing, search and filters, confidential records
never shown, contact requests landing with the brokers (throttled), the brokers' list."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import (
    Confidentiality,
    ContactRequest,
    ContactStatus,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    NeedStatus,
    Notification,
    OrgKind,
    Role,
)
from tests import factories as f


@pytest.fixture
def world(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学", contact_phone="0472-5951234")
    ent = f.org(OrgKind.ENTERPRISE, name="包头某风电公司", contact_phone="0472-7777777",
                contact_email="boss@wind.example")
    wind = f.patent("一种风电机组齿轮箱故障诊断方法", owner=uni, technical_field="风电",
                    asking_price=80, contact_note="张老师 13900001111")
    wind.licensing_modes = [LicenceMode.OPEN]
    magnet = f.patent("一种烧结钕铁硼磁体的制备方法", owner=uni, technical_field="稀土永磁")
    magnet.licensing_modes = [LicenceMode.TRANSFER]
    lapsed = f.patent("一种已失效的选矿方法", owner=uni, status=LegalStatus.LAPSED)
    open_need = f.need("风电叶片覆冰监测需求", enterprise=ent, technical_field="风电",
                       region_league="包头市", cooperation_mode=CooperationMode.LICENCE,
                       keywords=["覆冰", "叶片"])
    secret = f.need("保密的氢能储运需求", enterprise=ent,
                    confidentiality=Confidentiality.BROKERS)
    closed = f.need("已关闭的煤化工需求", enterprise=ent, status=NeedStatus.CLOSED)
    broker = f.user(Role.BROKER, username="broker1", display_name="王经纪")
    broker2 = f.user(Role.BROKER, username="broker2")
    enterprise_user = f.user(Role.ENTERPRISE, ent, username="ent1")
    db.session.commit()
    return {"app": app, "wind": wind, "magnet": magnet, "lapsed": lapsed, "open": open_need,
            "secret": secret, "closed": closed, "broker": broker, "broker2": broker2,
            "ent_user": enterprise_user, "ent": ent}


def signed_in(app, username):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    return client


def contact_form(**overrides):
    data = {"name": "李四", "organization": "鄂尔多斯某能源公司", "phone": "13812345678",
            "email": "", "message": "希望了解许可费用和实施周期。"}
    data.update(overrides)
    return data


def test_visitors_see_the_showcase_at_the_root(world, client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "成果展示" in html and "我要对接" in html
    assert world["wind"].title in html and world["magnet"].title in html
    assert "开放许可" in html and "80.00" in html and "内蒙古科技大学" in html
    assert world["lapsed"].title not in html  # only patents that can still be licensed
    assert "13900001111" not in html and "0472-5951234" not in html  # contacts never
    assert 'href="/auth/login"' in html  # a way in for accounts
    # Logged-in users still land on their own home.
    assert signed_in(world["app"], "broker1").get("/").headers["Location"] == "/queue/"


def test_needs_tab_hides_confidential_closed_needs_and_the_enterprise(world, client):
    html = client.get("/showcase/?kind=needs").text
    assert world["open"].title in html
    assert world["secret"].title not in html and world["closed"].title not in html
    assert "包头某风电公司" not in html and "0472-7777777" not in html
    assert "boss@wind.example" not in html
    detail = client.get(f"/showcase/needs/{world['open'].id}")
    assert detail.status_code == 200 and "覆冰" in detail.text
    assert "包头某风电公司" not in detail.text and "0472-7777777" not in detail.text


def test_confidential_and_closed_records_are_not_found_by_direct_url(world, client):
    for url in (f"/showcase/needs/{world['secret'].id}", f"/showcase/needs/{world['closed'].id}",
                f"/showcase/patents/{world['lapsed'].id}",
                f"/showcase/needs/{world['secret'].id}/contact",
                f"/showcase/patents/{world['lapsed'].id}/contact",
                "/showcase/needs/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert world["secret"].title not in response.text
    response = client.post(f"/showcase/needs/{world['secret'].id}/contact", data=contact_form())
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0
    # Searching for its words finds nothing either.
    assert world["secret"].title not in client.get("/?kind=needs&q=氢能").text


def test_search_matches_every_word_and_filters_narrow(world, client):
    html = client.get("/?q=风电 故障").text  # two words, anywhere in the record
    assert world["wind"].title in html and world["magnet"].title not in html
    assert "1 条结果" in html or "1 results" in html
    html = client.get("/?q=风电 钕铁硼").text
    assert world["wind"].title not in html and world["magnet"].title not in html
    html = client.get("/?licence=transfer").text
    assert world["magnet"].title in html and world["wind"].title not in html
    html = client.get("/showcase/?kind=needs&region=包头市&q=叶片").text  # keywords searched
    assert world["open"].title in html
    html = client.get("/showcase/?kind=needs&region=赤峰市").text
    assert world["open"].title not in html
    html = client.get("/?field=稀土").text
    assert world["magnet"].title in html and world["wind"].title not in html


def test_showcase_pages(world, app, client):
    app.config["PAGE_SIZE"] = 1
    first = client.get("/").text
    assert 'aria-label="分页"' in first or "page=2" in first
    second = client.get("/?page=2").text
    shown = [t for t in (world["wind"].title, world["magnet"].title) if t in first]
    shown2 = [t for t in (world["wind"].title, world["magnet"].title) if t in second]
    assert len(shown) == len(shown2) == 1 and shown != shown2
    # a page past the end (an old bookmark) shows the last page, not "no results"
    assert client.get("/?page=999999").text.count('class="card showcase-item') == \
        second.count('class="card showcase-item') and shown2[0] in client.get("/?page=99").text


def test_patent_page_is_public_and_links_the_contact_form(world, client):
    page = client.get(f"/showcase/patents/{world['wind'].id}")
    assert page.status_code == 200
    assert world["wind"].publication_number in page.text
    assert f'href="/showcase/patents/{world["wind"].id}/contact"' in page.text
    assert "13900001111" not in page.text


def test_contact_request_lands_with_the_brokers(world, client):
    url = f"/showcase/patents/{world['wind'].id}/contact"
    assert client.get(url).status_code == 200
    response = client.post(url, data=contact_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/showcase/patents/{world['wind'].id}"
    stored = db.session.scalars(select(ContactRequest)).all()
    assert len(stored) == 1 and stored[0].patent_id == world["wind"].id
    assert stored[0].status is ContactStatus.NEW and stored[0].phone == "13812345678"
    notes = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert {n.user_id for n in notes} == {world["broker"].id, world["broker2"].id}
    assert all("李四" in n.message and world["wind"].title in n.message for n in notes)
    # The brokers see it in their list, with its status; they move it on.
    broker = signed_in(world["app"], "broker1")
    html = broker.get("/showcase/requests").text
    assert "李四" in html and "13812345678" in html and "待处理" in html
    moved = broker.post(f"/showcase/requests/{stored[0].id}/status", data={"status": "in_progress"})
    assert moved.status_code == 302
    db.session.refresh(stored[0])
    assert stored[0].status is ContactStatus.IN_PROGRESS
    assert stored[0].handled_by_id == world["broker"].id
    # Parties never see the requests.
    ent = signed_in(world["app"], "ent1")
    assert ent.get("/showcase/requests").status_code == 403


def test_a_visitor_in_english_notifies_a_chinese_broker_in_chinese(world, client):
    world["broker2"].locale = "en"
    db.session.commit()
    client.post("/auth/language/en")
    url = f"/showcase/patents/{world['wind'].id}/contact"
    assert client.post(url, data=contact_form()).status_code == 302
    notes = {n.user_id: n.message for n in db.session.scalars(select(Notification))}
    assert notes[world["broker"].id].startswith("成果展示收到对接请求：李四")  # zh_CN
    assert notes[world["broker2"].id].startswith("Showcase contact request from 李四")


def test_need_request_goes_to_the_needs_broker_only(world, client):
    world["open"].broker = world["broker2"]
    db.session.commit()
    response = client.post(f"/showcase/needs/{world['open'].id}/contact",
                           data=contact_form(phone="", email="li@example.org"))
    assert response.status_code == 302
    notes = db.session.scalars(select(Notification)).all()
    assert [n.user_id for n in notes] == [world["broker2"].id]


def test_bad_contact_form_keeps_the_input_and_stores_nothing(world, client):
    url = f"/showcase/patents/{world['wind'].id}/contact"
    html = client.post(url, data=contact_form(phone="", email="")).text
    assert 'id="phone-err"' in html and "李四" in html  # the typed name is kept
    html = client.post(url, data=contact_form(email="not-an-address")).text
    assert 'id="email-err"' in html
    html = client.post(url, data=contact_form(name="")).text
    assert 'id="name-err"' in html
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0


def test_contact_requests_are_throttled_per_address(world, app, client):
    app.config["SHOWCASE_CONTACT_LIMIT"] = "2 per hour"
    url = f"/showcase/patents/{world['magnet'].id}/contact"
    # Forms sent back with errors do not count.
    for _ in range(3):
        assert client.post(url, data=contact_form(name="")).status_code == 200
    statuses = [client.post(url, data=contact_form()).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 2


def test_contact_form_needs_the_csrf_token(csrf_app):
    patent = f.patent("一种带令牌校验的专利")
    db.session.commit()
    client = csrf_app.test_client()
    url = f"/showcase/patents/{patent.id}/contact"
    response = client.post(url, data=contact_form())
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0


def test_licensing_modes_are_joined_the_screens_way(world, client):
    """Chinese lists take "、", English ones ", " (the showcase once wrote "、" in English too)."""
    world["magnet"].licensing_modes = [LicenceMode.OPEN, LicenceMode.TRANSFER]
    db.session.commit()
    url = f"/showcase/patents/{world['magnet'].id}"
    assert "开放许可、转让" in client.get(url).text
    client.post("/auth/language/en")
    for page in (url, "/showcase/"):
        html = client.get(page).text
        assert "Licensing modes</dt><dd>Open licence, Transfer</dd>" in html
