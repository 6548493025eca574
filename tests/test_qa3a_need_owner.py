"""Who posted a brokers-only need (仅经纪人可见): its enterprise, reference and county reach
administrators, brokers and the enterprise itself; a university that sees the need through a
recommended pair reads "由经纪人告知" on every page and in the export, as on /recommendations/.
The rule is ``services.access.shows_need_owner``."""

from __future__ import annotations

import csv
import io

import pytest

from matchmaker.extensions import db
from matchmaker.records import Confidentiality, MatchStatus, Role, User
from matchmaker.services.access import shows_need_owner
from tests.pairs import cast, client_as

NAME = "鄂尔多斯市康巴什氢途能源有限公司"
REF = "DEMO-XQ-028"
COUNTY = "康巴什区"
MASK = "由经纪人告知"
OWNERS = ["admin1", "broker1", "ent1"]  # broker1 covers the need


@pytest.fixture
def world(db_app):
    p = cast()
    p["enterprise_org"].name = NAME
    need = p["need"]
    need.confidentiality = Confidentiality.BROKERS
    need.external_ref = REF
    need.region_league = "鄂尔多斯市"
    need.region_county = COUNTY
    need.broker = p["broker"]
    # recommended to the university's patent: that is how uni1 can open the need at all
    p["match"].status = MatchStatus.RECOMMENDED
    p["match"].broker = p["broker"]
    db.session.commit()
    return p


def _pages(app, who, need_id):
    client = client_as(app, who)
    pages = {}
    for url in (f"/needs/{need_id}", "/needs/", "/needs/?q=钕铁硼"):
        response = client.get(url)
        assert response.status_code == 200, (who, url)
        pages[url] = response.get_data(as_text=True)
    return client, pages


def _export(client):
    response = client.get("/needs/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row, strict=True)) for row in body]


def test_a_university_sees_the_need_but_not_who_posted_it(world, db_app):
    client, pages = _pages(db_app, "uni1", world["need"].id)
    for url, html in pages.items():
        assert f'href="/needs/{world["need"].id}"' in html or world["need"].title in html, url
        for secret in (NAME, REF, COUNTY):
            assert secret not in html, (url, secret)
        assert MASK in html, url
    (row,) = _export(client)
    assert row["企业"] == MASK
    assert row["需求编号"] == "" and row["旗县区"] == ""
    assert NAME not in str(row) and REF not in str(row) and COUNTY not in str(row)


@pytest.mark.parametrize("who", OWNERS)
def test_administrators_brokers_and_the_enterprise_still_see_it(world, db_app, who):
    client, pages = _pages(db_app, who, world["need"].id)
    detail = pages[f"/needs/{world['need'].id}"]
    assert NAME in detail and REF in detail and COUNTY in detail and MASK not in detail
    for url in ("/needs/", "/needs/?q=钕铁硼"):
        assert NAME in pages[url] and COUNTY in pages[url] and MASK not in pages[url], url
    (row,) = [r for r in _export(client) if r["需求编号"] == REF]
    assert row["企业"] == NAME and row["旗县区"] == COUNTY


def test_a_public_need_shows_its_enterprise_to_the_university(world, db_app):
    world["need"].confidentiality = Confidentiality.PUBLIC
    db.session.commit()
    client, pages = _pages(db_app, "uni1", world["need"].id)
    for url, html in pages.items():
        assert NAME in html and COUNTY in html and MASK not in html, url
    (row,) = _export(client)
    assert row["企业"] == NAME and row["需求编号"] == REF


def test_the_recommendations_page_uses_the_same_rule(world, db_app):
    html = client_as(db_app, "uni1").get("/recommendations/").get_data(as_text=True)
    assert MASK in html and NAME not in html and REF not in html and COUNTY not in html


def test_shows_need_owner_by_role(world):
    need = world["need"]
    users = {u.username: u for u in db.session.query(User)}
    assert {name: shows_need_owner(u, need) for name, u in users.items()} == {
        "admin1": True, "broker1": True, "broker2": True, "ent1": True, "uni1": False}
    stranger = User(username="x", role=Role.ENTERPRISE, organization_id=None)
    assert shows_need_owner(stranger, need) is False
    need.confidentiality = Confidentiality.PUBLIC
    assert shows_need_owner(users["uni1"], need) and shows_need_owner(stranger, need)
