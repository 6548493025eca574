"""Key figures against the region's goals, and their dashboard partial."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import g, render_template, request_started
from flask_login import login_user

from matchmaker.extensions import db
from matchmaker.records import (
    EventPatent,
    EventRegistration,
    EventStatus,
    Match,
    MatchHistory,
    MatchStatus,
    ReleaseEvent,
    Role,
)
from matchmaker.services.kpis import region_kpis
from tests import factories as f

TODAY = date(2026, 6, 15)


def contract(
    signed_at: datetime,
    amount: str,
    *,
    patent=None,
    need=None,
    status=MatchStatus.SIGNED,
    history=True,
) -> Match:
    m = Match(
        need=need or f.need(),
        patent=patent or f.patent(),
        score=0.8,
        status=status,
        channel_scores={},
        explanation={},
        contract_amount=Decimal(amount),
        status_changed_at=signed_at,
    )
    db.session.add(m)
    db.session.flush()
    if history:
        db.session.add(
            MatchHistory(
                match=m,
                at=signed_at,
                from_status=MatchStatus.NEGOTIATING,
                to_status=MatchStatus.SIGNED,
            )
        )
        if status is MatchStatus.REGISTERED:  # registration later must not move the date
            db.session.add(
                MatchHistory(
                    match=m,
                    at=signed_at.replace(month=12),
                    from_status=MatchStatus.SIGNED,
                    to_status=status,
                )
            )
    return m


def test_region_kpis(db_app):
    for i in range(3):
        f.user(Role.BROKER, username=f"active{i}")
    f.user(Role.BROKER, username="retired", active=False)
    f.user(Role.ENTERPRISE)
    shared = f.patent(title="两次转化的专利")
    contract(datetime(2026, 2, 1, 3), "60", patent=shared)
    contract(datetime(2026, 5, 1, 3), "40", history=False)  # dated by status_changed_at
    contract(datetime(2025, 3, 1, 3), "80", patent=shared, status=MatchStatus.REGISTERED)
    contract(datetime(2025, 11, 1, 3), "20")  # after the same day last year
    cancelled = contract(datetime(2026, 4, 1, 3), "999")
    cancelled.status = MatchStatus.REJECTED  # a cancelled contract is no contract
    db.session.commit()
    k = region_kpis(TODAY)
    assert (k.active_brokers, k.broker_goal) == (3, 2500)
    assert (k.this_year.count, k.this_year.amount) == (2, Decimal("100"))
    assert (k.last_year_same_period.count, k.last_year_same_period.amount) == (1, Decimal("80"))
    assert (k.last_year.count, k.last_year.amount) == (2, Decimal("100"))
    assert k.growth == pytest.approx(0.25) and k.on_track is True
    assert k.target_amount == Decimal("110.00") and k.target_share == pytest.approx(100 / 110)
    # revived: first contract per patent; "shared" was first signed in 2025
    assert (k.patents_revived_total, k.patents_revived_this_year) == (3, 1)


def test_events_held_and_what_they_led_to(db_app):
    held = ReleaseEvent(
        number="蒙科聚-2026-第6期", name="第六期", held_on=date(2026, 5, 1), status=EventStatus.HELD
    )
    planned = ReleaseEvent(number="蒙科聚-2026-第7期", name="第七期", held_on=date(2026, 7, 1))
    db.session.add_all([held, planned])
    patent, org = f.patent(), f.org(name="参会企业")
    db.session.add(EventPatent(event=held, patent=patent))
    db.session.add(EventRegistration(event=held, organization=org))
    contract(datetime(2026, 5, 20, 3), "35.5", patent=patent, need=f.need(enterprise=org))
    db.session.add(
        Match(
            need=f.need(enterprise=org), patent=patent, score=0.5, channel_scores={}, explanation={}
        )
    )
    db.session.commit()
    [outcome] = region_kpis(TODAY).events
    assert (outcome.event, outcome.pairs, outcome.signed, outcome.amount) == (
        held,
        2,
        1,
        Decimal("35.5"),
    )


def test_kpi_partial_renders_for_brokers_only(app):
    broker, enterprise = f.user(Role.BROKER), f.user(Role.ENTERPRISE)
    db.session.commit()
    with app.test_request_context("/"):
        login_user(broker)
        html = render_template("events/_kpis.html")
        assert 'id="region-kpis"' in html and "1 / 2,500" in html
    g.pop("_login_user", None)
    with app.test_request_context("/"):
        login_user(enterprise)
        assert "region-kpis" not in render_template("events/_kpis.html")


def test_dashboard_includes_the_kpis(app):
    broker = f.user(Role.BROKER)
    db.session.commit()
    request_started.connect(lambda sender, **kw: g.pop("_login_user", None), app, weak=False)
    client = app.test_client()
    f.login(client, broker.username)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and 'id="region-kpis"' in page.text
