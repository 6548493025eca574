"""Release events after QA round 2b: an oversized patent id on the programme form, dates decided
in the portal's time zone (not the server's), target regions in the interface language, and
control characters refused in every free-text field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import (
    EventPatent,
    EventStatus,
    Match,
    MatchHistory,
    MatchStatus,
    ReleaseEvent,
    Role,
)
from matchmaker.services import events as svc
from matchmaker.services import kpis, record_checks, revival
from tests import factories as f
from tests.pairs import client_as

# 20:30 UTC on 10 March is 04:30 on 11 March in Beijing: a UTC server's calendar is a day behind.
INSTANT = datetime(2026, 3, 10, 20, 30, tzinfo=UTC)
BEIJING_TODAY = date(2026, 3, 11)
YESTERDAY = BEIJING_TODAY - timedelta(days=1)  # in Beijing; "today" on the server's calendar


class _Clock(datetime):
    """The zone-aware clock ``record_checks.local_today`` reads, stopped at ``INSTANT``."""

    @classmethod
    def now(cls, tz=None):
        return INSTANT.astimezone(tz) if tz else INSTANT.replace(tzinfo=None)


class _ServerDate(date):
    """The server's own calendar: a machine on UTC still says 10 March."""

    @classmethod
    def today(cls):
        return INSTANT.date()


@pytest.fixture
def utc_server_at_beijing_dawn(monkeypatch):
    monkeypatch.setattr(record_checks, "datetime", _Clock)
    for module in (svc, revival, kpis):  # whatever still asked the server's calendar
        monkeypatch.setattr(module, "date", _ServerDate)


def _event(held_on: date, status=EventStatus.PLANNED, **kw) -> ReleaseEvent:
    e = ReleaseEvent(number=kw.pop("number", "蒙科聚-2026-第3期"), name="稀土专场",
                     held_on=held_on, status=status, **kw)
    db.session.add(e)
    db.session.flush()
    return e


# -- 1. a patent id beyond 64 bits ----------------------------------------------------------------


@pytest.mark.parametrize("patent_id", ["99999999999999999999", "-1", "²", "x"])
def test_an_impossible_patent_id_is_no_such_patent(app, patent_id):
    broker = f.user(Role.BROKER)
    e = _event(date.today() + timedelta(days=30))
    db.session.commit()
    client = client_as(app, broker.username)
    response = client.post(f"/events/{e.id}/programme/add",
                           data={"patent_id": patent_id, "publication_number": ""})
    assert response.status_code == 302
    assert "专利不存在。" in client.get(f"/events/{e.id}/programme").text
    assert db.session.scalar(select(func.count(EventPatent.id))) == 0


def test_a_suggested_patent_is_still_added_by_its_id(app):
    broker = f.user(Role.BROKER)
    e = _event(date.today() + timedelta(days=30))
    patent = f.patent()
    db.session.commit()
    client = client_as(app, broker.username)
    client.post(f"/events/{e.id}/programme/add", data={"patent_id": str(patent.id)})
    assert db.session.scalar(select(EventPatent.patent_id)) == patent.id


# -- 2. today is a day in Beijing ----------------------------------------------------------------


def test_the_portal_calendar_decides_event_dates(db_app, utc_server_at_beijing_dawn):
    broker = f.user(Role.BROKER)
    assert svc.today() == BEIJING_TODAY
    held = svc.save_event(None, actor=broker, number="E-1", name="今天办完",
                          held_on=BEIJING_TODAY, status=EventStatus.HELD)
    assert held.status is EventStatus.HELD  # held today (Beijing) is no future event
    with pytest.raises(ValidationError) as err:
        svc.save_event(None, actor=broker, number="E-2", name="昨天的计划",
                       held_on=YESTERDAY, status=EventStatus.PLANNED)
    assert err.value.field == "held_on"


def test_registration_closes_on_the_portal_calendar(db_app, utc_server_at_beijing_dawn):
    enterprise = f.user(Role.ENTERPRISE)
    past = _event(YESTERDAY)
    upcoming = _event(BEIJING_TODAY, number="蒙科聚-2026-第4期")
    assert not svc.registration_open(past) and svc.registration_open(upcoming)
    with pytest.raises(ValidationError):
        svc.register(past, enterprise.organization, enterprise)
    seen = list(db.session.scalars(svc.visible_events(enterprise)))
    assert seen == [upcoming]  # yesterday's planned event is no longer an upcoming one


def test_revival_counts_days_on_the_portal_calendar(db_app, utc_server_at_beijing_dawn):
    patent = f.patent(dormant=True, fee_due_date=YESTERDAY, filing_date=date(2020, 1, 1))
    assert revival.warning_horizon() == BEIJING_TODAY + timedelta(days=revival.WARNING_DAYS)
    [row] = revival.rank_dormant(f.user(Role.ADMIN))
    assert row.patent.id == patent.id
    assert row.days_to_fee_due == -1 and row.fee_overdue  # due yesterday: in the grace period


def _contract(signed_at: datetime, amount: str = "10") -> Match:
    m = Match(need=f.need(), patent=f.patent(), score=0.8, status=MatchStatus.SIGNED,
              channel_scores={}, explanation={}, contract_amount=amount,
              status_changed_at=signed_at)
    db.session.add(m)
    db.session.flush()
    db.session.add(MatchHistory(match=m, at=signed_at, from_status=MatchStatus.NEGOTIATING,
                                to_status=MatchStatus.SIGNED))
    db.session.flush()
    return m


def test_key_figures_count_portal_calendar_days(db_app, utc_server_at_beijing_dawn):
    _contract(datetime(2025, 3, 11, 3))  # 11 March last year: inside "the same period"
    _contract(datetime(2025, 12, 31, 20))  # 1 January 2026, 04:00 in Beijing: this year
    figures = kpis.region_kpis()
    assert figures.last_year_same_period.count == 1
    assert (figures.this_year.count, figures.last_year.count) == (1, 1)


# -- 3. target regions in the interface language -------------------------------------------------


def test_target_regions_are_shown_in_the_interface_language(app):
    broker = f.user(Role.BROKER)
    e = _event(date.today() + timedelta(days=30), target_regions="包头市,鄂尔多斯市",
               target_industries="稀土,永磁")
    db.session.commit()
    client = client_as(app, broker.username)
    chinese = client.get(f"/events/{e.id}").text
    assert "包头市、鄂尔多斯市" in chinese and "稀土、永磁" in chinese
    client.post("/auth/language/en")
    english = client.get(f"/events/{e.id}").text
    assert "Baotou, Ordos" in english and "包头市" not in english
    assert "稀土, 永磁" in english


# -- 4. control characters ----------------------------------------------------------------------

CONTROL = "文本中不能包含控制字符（如 NUL）"


@pytest.mark.parametrize("field", ["number", "name", "venue", "theme", "target_industries"])
@pytest.mark.parametrize("junk", ["\x00", "\x1b[31m"])
def test_event_text_refuses_control_characters(db_app, field, junk):
    broker = f.user(Role.BROKER)
    values = {"number": "E-9", "name": "专场", "venue": "包头", "theme": "稀土",
              "target_industries": "稀土", "held_on": date.today() + timedelta(days=9)}
    values[field] = f"稀土{junk}永磁"
    with pytest.raises(ValidationError) as err:
        svc.save_event(None, actor=broker, **values)
    assert err.value.field == field
    assert db.session.scalar(select(func.count(ReleaseEvent.id))) == 0


def test_the_event_form_shows_the_control_character_rule(app):
    broker = f.user(Role.BROKER)
    db.session.commit()
    client = client_as(app, broker.username)
    response = client.post("/events/new", data={
        "number": "E-1", "name": "稀土\x00专场", "status": "planned",
        "held_on": (date.today() + timedelta(days=9)).isoformat()})
    assert response.status_code == 200 and CONTROL in response.text
    assert db.session.scalar(select(func.count(ReleaseEvent.id))) == 0


def test_a_listing_summary_refuses_control_characters(app):
    broker = f.user(Role.BROKER)
    e = _event(date.today() + timedelta(days=30))
    patent = f.patent()
    db.session.add(EventPatent(event=e, patent=patent, position=0))
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        svc.set_summary(e, patent.id, "通俗\x1b介绍", broker)
    assert err.value.field == "summary"
    db.session.rollback()
    client = client_as(app, broker.username)
    client.post(f"/events/{e.id}/programme/{patent.id}",
                data={f"l{patent.id}-summary": "通俗\x00介绍"})
    assert CONTROL in client.get(f"/events/{e.id}/programme").text
    assert db.session.scalar(select(EventPatent.summary)) is None
