"""Dashboard numbers on fixture data, and who may see them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from matchmaker.extensions import db
from matchmaker.records import MatchHistory, MatchStatus, NeedStatus, Role
from matchmaker.services import dashboard
from tests import factories as f
from tests.pairs import client_as, pair

S = MatchStatus
NOW = datetime(2026, 3, 11, 12, 0)  # a Wednesday; this week starts Monday 2026-03-09


@pytest.fixture
def data(db_app):
    b1 = f.user(Role.BROKER, username="broker1", display_name="王经纪")
    b2 = f.user(Role.BROKER, username="broker2", display_name="李经纪")
    f.user(Role.ADMIN, username="admin1")
    f.user(Role.ENTERPRISE, username="ent1")
    f.user(Role.UNIVERSITY, username="uni1")
    # matched from the start: a need turning matched would withdraw its candidates (stale.py)
    n_mat = f.need("稀土需求", technical_field="新材料", status=NeedStatus.MATCHED)
    n_env = f.need("环保需求", technical_field="节能环保")
    f.need("已关闭需求", status=NeedStatus.CLOSED)
    p_h = f.patent("磁体专利", ipc=["H01F 1/057"], dormant=True)
    p_c = f.patent("冶金专利", ipc=["C22C 38/00", "H01F 1/057"], dormant=True)
    p_b = f.patent("设备专利", ipc=["B03C 1/00"], dormant=False)

    def at(weeks_ago: float) -> datetime:
        return NOW - timedelta(weeks=weeks_ago)

    rows = {
        "c1": pair(need=n_mat, patent=p_h, broker=b1),
        "c2": pair(need=n_env, patent=p_c),
        "c3": pair(need=n_env, patent=p_b),
        "signed": pair(need=n_mat, patent=p_c, broker=b1, status=S.SIGNED,
                       contract_amount=Decimal("10")),
        "registered": pair(need=n_env, patent=p_h, broker=b2, status=S.REGISTERED,
                           contract_amount=Decimal("20.5")),
        "rejected": pair(need=n_mat, patent=p_b, status=S.REJECTED,
                         contract_amount=Decimal("99")),  # not a deal: its amount is not counted
    }
    created = {"c1": 0.1, "c2": 0.2, "c3": 3, "signed": 5, "registered": 8, "rejected": 20}
    for key, weeks in created.items():
        rows[key].created_at = at(weeks)
    db.session.add_all([
        MatchHistory(match=rows["signed"], at=at(0.2), from_status=S.NEGOTIATING, to_status=S.SIGNED),
        MatchHistory(match=rows["registered"], at=at(2), from_status=S.NEGOTIATING,
                     to_status=S.SIGNED),
        MatchHistory(match=rows["registered"], at=at(1), from_status=S.SIGNED,
                     to_status=S.REGISTERED),
        MatchHistory(match=rows["c1"], at=at(0.1), from_status=S.CANDIDATE, to_status=S.CANDIDATE,
                     reason="assign: - -> broker1"),
        MatchHistory(match=rows["rejected"], at=at(30), from_status=S.NEGOTIATING,
                     to_status=S.SIGNED),  # too old for the 12-week trend
    ])
    db.session.commit()
    return rows


def test_overview_numbers(data):
    o = dashboard.overview(now=NOW)
    assert (o.open_needs, o.dormant_patents, o.candidate_pairs) == (1, 2, 3)
    assert dict(o.stages) == {S.CANDIDATE: 3, S.RECOMMENDED: 0, S.CONTACTED: 0, S.NEGOTIATING: 0,
                              S.SIGNED: 1, S.REGISTERED: 1, S.REJECTED: 1}
    assert [s for s, _ in o.stages][-1] is S.REJECTED
    assert (o.deals, o.deal_amount) == (2, Decimal("30.5"))


def test_breakdowns_per_broker_field_and_section(data):
    o = dashboard.overview(now=NOW)
    brokers = {r.name: (r.pairs, r.deals, r.amount) for r in o.brokers}
    assert brokers == {"": (3, 0, 0), "王经纪": (2, 1, Decimal("10")),
                       "李经纪": (1, 1, Decimal("20.5"))}
    fields = {r.name: (r.pairs, r.deals, r.amount) for r in o.fields}
    assert fields == {"新材料": (3, 1, Decimal("10")), "节能环保": (3, 1, Decimal("20.5"))}
    # the main classification counts: p_c is a C patent even though it also has H01F
    sections = {r.name: (r.pairs, dict(r.by_status)) for r in o.sections}
    assert sections == {
        "B": (2, {S.CANDIDATE: 1, S.REJECTED: 1}),
        "C": (2, {S.CANDIDATE: 1, S.SIGNED: 1}),
        "H": (2, {S.CANDIDATE: 1, S.REGISTERED: 1}),
    }


def test_weekly_trends(data):
    o = dashboard.overview(now=NOW)
    assert o.weeks[-1] == datetime(2026, 3, 9) and o.weeks[0] == datetime(2025, 12, 22)
    assert len(o.weeks) == len(o.new_pairs) == len(o.signed_per_week) == 12
    # new pairs: two this week, one 3 weeks, 5 weeks and 8 weeks ago; 20 weeks is out of range
    expected_new = [0] * 12
    expected_new[11] = 2
    for weeks in (3, 5, 8):
        expected_new[11 - weeks] += 1
    assert o.new_pairs == expected_new
    expected_signed = [0] * 12
    expected_signed[11] = 1  # 0.2 weeks ago: this week
    expected_signed[9] = 1  # 2 weeks ago
    assert o.signed_per_week == expected_signed


def test_funnel_counts_every_stage_reached():
    stages = [(S.CANDIDATE, 5), (S.RECOMMENDED, 3), (S.CONTACTED, 0), (S.NEGOTIATING, 1),
              (S.SIGNED, 2), (S.REGISTERED, 1), (S.REJECTED, 7)]
    assert dashboard.funnel(stages) == [(S.CANDIDATE, 12), (S.RECOMMENDED, 7), (S.CONTACTED, 4),
                                        (S.NEGOTIATING, 4), (S.SIGNED, 3), (S.REGISTERED, 1)]


def test_empty_database(db_app):
    o = dashboard.overview(now=NOW)
    assert (o.open_needs, o.candidate_pairs, o.deals, o.deal_amount) == (0, 0, 0, Decimal("0"))
    assert o.new_pairs == [0] * 12 and o.brokers == [] and o.sections == []


@pytest.mark.parametrize("who", ["admin1", "broker1"])
def test_dashboard_page(data, db_app, who):
    response = client_as(db_app, who).get("/dashboard/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div class="kpi" id="kpi-candidates">3</div>' in html
    assert '<div class="kpi" id="kpi-deals">2</div>' in html
    assert '<div class="kpi" id="kpi-amount">30.50</div>' in html
    assert html.count('<svg class="chart"') >= 6  # stages, funnel, 2 trends, field, section
    assert "王经纪" in html and "李经纪" in html and "新材料" in html


@pytest.mark.parametrize("who", ["ent1", "uni1"])
def test_parties_may_not_see_the_dashboard(data, db_app, who):
    client = client_as(db_app, who)
    assert client.get("/dashboard/").status_code == 403
    assert client.post("/dashboard/").status_code == 405


def test_anonymous_is_sent_to_login(db_app):
    response = client_as(db_app, None).get("/dashboard/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_cached_overview_is_reused_then_refreshed(data):
    first = dashboard.cached_overview(max_age=60)
    pair(need=data["c1"].need, patent=f.patent("新专利"))
    db.session.commit()
    assert dashboard.cached_overview(max_age=60) is first  # a minute-old view is fine
    fresh = dashboard.cached_overview(max_age=0)
    assert fresh.candidate_pairs == first.candidate_pairs + 1


def test_counts_and_shares_are_written_as_the_charts_beside_them_write_them():
    """The dashboard's card said 1054 above a chart saying 1,054; the quality page's charts
    said 70.50% beside a table saying 70.5 % (QA, stop 34)."""
    from matchmaker.portal.charts import bar_chart
    from matchmaker.portal.helpers import count

    assert count(1054) == "1,054" and count(3) == "3" and count(None) == ""
    svg = str(bar_chart([("高", 70.5), ("中", 5.6), ("低", 50.0)], unit="%"))
    assert ">70.5%</text>" in svg and ">5.6%</text>" in svg and ">50%</text>" in svg
    assert "70.50" not in svg
