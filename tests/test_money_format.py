"""Amounts (万元) read as people read them, digits grouped like the counts beside them
("2,638.60", not "2638.60"), and a budget open at either end."""

from __future__ import annotations

from decimal import Decimal

from matchmaker.portal.helpers import amount_range, money
from matchmaker.records import MatchStatus
from tests import factories as f
from tests.pairs import client_as, pair


def test_money_and_amount_range():
    assert money(Decimal("2638.6")) == "2,638.60"
    assert money(Decimal("0")) == "0.00" and money(None) == ""
    assert amount_range(Decimal("50"), Decimal("1200")) == "50.00–1,200.00"
    assert amount_range(None, Decimal("200")) == "–200.00"
    assert amount_range(Decimal("50"), None) == "50.00–"
    assert amount_range(None, None) == ""


def test_the_dashboard_groups_the_contract_amount(app):
    from matchmaker.extensions import db
    from matchmaker.records import Role

    pair(status=MatchStatus.SIGNED, contract_amount=Decimal("2638.6"))
    f.user(Role.ADMIN, username="money-admin")
    db.session.commit()
    html = client_as(app, "money-admin").get("/dashboard/").text
    assert '<div class="kpi" id="kpi-amount">2,638.60</div>' in html


def test_the_showcase_shows_a_grouped_budget(app, client):
    from matchmaker.extensions import db

    need = f.need("风电叶片覆冰监测需求", budget_min=Decimal("50"), budget_max=Decimal("1200"))
    db.session.commit()
    assert "50.00–1,200.00" in client.get(f"/showcase/needs/{need.id}").text


def test_pair_page_and_need_page_group_amounts(app):
    from matchmaker.extensions import db
    from matchmaker.records import Role

    need = f.need("钕铁硼磁体矫顽力提升", budget_min=Decimal("50"), budget_max=Decimal("1200"))
    match = pair(need=need, status=MatchStatus.SIGNED, contract_amount=Decimal("1250.5"))
    f.user(Role.ADMIN, username="money-admin2")
    db.session.commit()
    client = client_as(app, "money-admin2")
    page = client.get(f"/queue/{match.id}").text
    assert "1,250.50" in page and "50.00–1,200.00" in page
    assert "50.00–1,200.00" in client.get(f"/needs/{need.id}").text
