"""Values the forms and the API must refuse or normalise as the import does (QA report sections
2, 7, 8, 11): years outside 1900-2100, held events in the future, a huge minimum budget, past
deadlines set on edit, amounts with more than two decimals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from matchmaker import validators
from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import (
    EventStatus,
    MatchStatus,
    Need,
    OrgKind,
    Patent,
    ReleaseEvent,
    Role,
)
from matchmaker.services import events as event_service
from matchmaker.services.revival import rank_dormant, term_end
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.pairs import client_as

YEAR_ERROR = "年份须在 1900–2100 之间。"
FUTURE = date.today() + timedelta(days=60)
PAST = date.today() - timedelta(days=3)


def need_form(**overrides) -> dict:
    data = {
        "title": "高矫顽力烧结钕铁硼磁体开发",
        "description": "现有磁体在150℃下矫顽力不足，希望降低重稀土用量。",
        "keywords": "钕铁硼, 矫顽力",
        "budget_min": "50",
        "budget_max": "200",
        "cooperation_mode": "licence",
        "deadline": FUTURE.isoformat(),
        "region_league": "包头市",
        "region_county": "",
        "confidentiality": "public",
        "external_ref": "",
    }
    return {**data, **overrides}


def patent_form(**overrides) -> dict:
    data = {
        "publication_number": "CN116000001A",
        "patent_type": "invention",
        "title": "一种稀土抛光粉的再生方法",
        "abstract": "本发明公开了一种废旧稀土抛光粉的再生方法，回收率高。",
        "legal_status": "valid",
        "filing_date": "2023-01-05",
        "grant_date": "2024-06-01",
        "fee_due_date": "",
        "ipc_codes": "C09K 3/14",
        "asking_price": "35.5",
        "dormant": "y",
    }
    return {**data, **overrides}


def event_form(**overrides) -> dict:
    data = {"number": "蒙科聚-2026-第9期", "name": "稀土专场", "held_on": FUTURE.isoformat(),
            "status": "planned"}
    return {**data, **overrides}


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def stored(sql: str) -> tuple:
    """Columns as the database holds them (the ORM rounds Numeric(14, 2) on reading)."""
    return tuple(Decimal(str(v)) for v in db.session.execute(text(sql)).one())


def field_errors(answer) -> dict:
    return {e["field"]: e["message"] for e in answer.get_json().get("errors") or []}


@pytest.fixture
def enterprise(app):
    user = f.user(Role.ENTERPRISE, username="ent-limits")
    db.session.commit()
    return user


@pytest.fixture
def university(app):
    user = f.user(Role.UNIVERSITY, username="uni-limits")
    db.session.commit()
    return user


# -- 1. years outside 1900-2100 ------------------------------------------------------------------


def test_the_year_range_is_the_import_one():
    assert (validators.MIN_YEAR, validators.MAX_YEAR) == (1900, 2100)
    assert validators.plausible_date(date(1900, 1, 1)) and validators.plausible_date(date(2100, 12, 31))
    assert not validators.plausible_date(date(1899, 12, 31))
    assert not validators.plausible_date(date(2101, 1, 1))


@pytest.mark.parametrize("field,value", [
    ("filing_date", "9990-01-01"), ("filing_date", "0001-01-01"), ("grant_date", "9999-01-01"),
    ("fee_due_date", "2101-01-01"),
])
def test_patent_form_refuses_a_year_outside_the_range(app, university, field, value):
    client = client_as(app, university.username)
    html = client.post("/patents/new", data=patent_form(**{field: value})).text
    assert f'id="{field}-err"' in html and YEAR_ERROR in html
    if field == "filing_date" and value.startswith("9"):  # the year is the error, not the grant
        assert 'id="grant_date-err"' not in html
    assert count(Patent) == 0


@pytest.mark.parametrize("field,value", [
    ("filing_date", "9999-01-01"), ("filing_date", "0001-01-01"), ("grant_date", "9999-01-01"),
    ("fee_due_date", "1899-12-31"),
])
def test_patent_api_refuses_a_year_outside_the_range(app, university, field, value):
    body = {"publication_number": "CN119400012A", "title": "一种API测试专利",
            "abstract": "本发明公开了一种API测试方法。", field: value}
    answer = app.test_client().post("/api/v1/patents", json=body,
                                    headers=bearer(token_for(university)))
    assert answer.status_code == 422, answer.get_json()
    assert field_errors(answer) == {field: YEAR_ERROR}
    assert count(Patent) == 0


def test_need_form_and_api_refuse_a_deadline_in_year_9999(app, enterprise):
    client = client_as(app, enterprise.username)
    html = client.post("/needs/new", data=need_form(deadline="9999-12-31")).text
    assert 'id="deadline-err"' in html and YEAR_ERROR in html
    answer = app.test_client().post(
        "/api/v1/needs", json={"title": "需求", "description": "描述", "deadline": "9999-12-31"},
        headers=bearer(token_for(enterprise)))
    assert answer.status_code == 422 and field_errors(answer) == {"deadline": YEAR_ERROR}
    assert count(Need) == 0


def test_event_date_in_year_9999_is_refused(app):
    broker = f.user(Role.BROKER, username="broker-limits")
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        event_service.save_event(None, actor=broker, number="E-1", name="活动",
                                 held_on=date(9999, 12, 31))
    assert err.value.field == "held_on"
    db.session.rollback()
    client = client_as(app, broker.username)
    html = client.post("/events/new", data=event_form(held_on="9999-12-31")).text
    assert YEAR_ERROR in html and count(ReleaseEvent) == 0


def test_revival_survives_filing_dates_stored_before_the_check(app):
    """A patent saved with an absurd filing date before forms checked it: no 500 for anyone."""
    uni = f.org(OrgKind.UNIVERSITY)
    far = f.patent(owner=uni, filing_date=date(9990, 1, 1), dormant=True)
    early = f.patent(owner=uni, filing_date=date(1, 1, 1), dormant=True)
    leap = f.patent(owner=uni, filing_date=date(9980, 2, 29), dormant=True)
    broker = f.user(Role.BROKER, username="broker-revival")
    db.session.commit()
    assert term_end(far) is None and term_end(early) is None and term_end(leap) is None
    rows = {row.patent.id: row for row in rank_dormant(broker)}
    assert {far.id, early.id, leap.id} <= set(rows)  # unknown term: still revivable
    assert rows[far.id].term_end is None and rows[far.id].days_to_term_end is None
    page = client_as(app, broker.username).get("/revival/")
    assert page.status_code == 200


# -- 2. an event marked held with a future date -----------------------------------------------


def test_a_held_event_cannot_lie_in_the_future(app):
    broker = f.user(Role.BROKER, username="broker-held")
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        event_service.save_event(None, actor=broker, number="E-2", name="活动",
                                 held_on=event_service.today() + timedelta(days=1),
                                 status=EventStatus.HELD)
    assert err.value.field == "held_on"
    db.session.rollback()
    client = client_as(app, broker.username)
    html = client.post("/events/new", data=event_form(held_on="2099-01-01", status="held")).text
    assert "已举办的活动日期不能晚于今天" in html and count(ReleaseEvent) == 0
    today = event_service.save_event(None, actor=broker, number="E-3", name="今天办完",
                                     held_on=event_service.today(), status=EventStatus.HELD)
    assert today.status is EventStatus.HELD  # held today is fine


# -- 3. a huge minimum budget is "too large", not "min above max" -----------------------------


@pytest.mark.parametrize("low", ["1e20", "9" * 30])
def test_a_huge_minimum_budget_is_reported_on_its_own_field(app, enterprise, low):
    client = client_as(app, enterprise.username)
    html = client.post("/needs/new", data=need_form(budget_min=low, budget_max="50")).text
    assert 'id="budget_min-err"' in html
    assert "金额过大：最多 999,999,999,999.99 万元。" in html
    assert 'id="budget_max-err"' not in html and "预算下限不能高于上限" not in html
    assert count(Need) == 0


def test_min_above_max_is_still_reported_for_two_valid_amounts(app, enterprise):
    client = client_as(app, enterprise.username)
    html = client.post("/needs/new", data=need_form(budget_min="300", budget_max="50")).text
    assert 'id="budget_max-err"' in html and "预算下限不能高于上限" in html


def test_api_reports_a_huge_minimum_budget_on_budget_min(app, enterprise):
    body = {"title": "需求", "description": "描述", "budget_min": 1e20, "budget_max": 50}
    answer = app.test_client().post("/api/v1/needs", json=body,
                                    headers=bearer(token_for(enterprise)))
    assert answer.status_code == 422 and set(field_errors(answer)) == {"budget_min"}


# -- 4. a past deadline newly set on edit -------------------------------------------------------


def test_edit_form_refuses_a_new_past_deadline_but_keeps_a_stored_one(app, enterprise):
    need = f.need(enterprise=enterprise.organization, deadline=None)
    db.session.commit()
    client = client_as(app, enterprise.username)
    html = client.post(f"/needs/{need.id}/edit", data=need_form(deadline=PAST.isoformat())).text
    assert 'id="deadline-err"' in html and "截止日期不能早于今天" in html
    db.session.refresh(need)
    assert need.deadline is None
    need.deadline = PAST  # its deadline passed since it was posted
    db.session.commit()
    kept = client.post(f"/needs/{need.id}/edit",
                       data=need_form(title="改了标题", deadline=PAST.isoformat()))
    assert kept.status_code == 302
    db.session.refresh(need)
    assert (need.title, need.deadline) == ("改了标题", PAST)
    earlier = client.post(f"/needs/{need.id}/edit",
                          data=need_form(deadline=(PAST - timedelta(days=1)).isoformat()))
    assert earlier.status_code == 200 and 'id="deadline-err"' in earlier.text


def test_api_patch_refuses_a_new_past_deadline_but_keeps_a_stored_one(app, enterprise):
    need = f.need(enterprise=enterprise.organization)
    db.session.commit()
    client, auth = app.test_client(), bearer(token_for(enterprise))

    def patch(body):
        etag = client.get(f"/api/v1/needs/{need.id}", headers=auth).headers["ETag"]
        return client.patch(f"/api/v1/needs/{need.id}", json=body,
                            headers={**auth, "If-Match": etag})

    refused = patch({"deadline": PAST.isoformat()})
    assert refused.status_code == 422 and set(field_errors(refused)) == {"deadline"}
    need.deadline = PAST
    db.session.commit()
    assert patch({"technical_field": "风电"}).status_code == 200
    assert patch({"deadline": PAST.isoformat(), "title": "新标题"}).status_code == 200
    db.session.refresh(need)
    assert (need.title, need.deadline, need.technical_field) == ("新标题", PAST, "风电")


# -- 5. amounts rounded to 0.01 as the import rounds them ---------------------------------------


def test_form_amounts_are_rounded_to_the_cent(app, enterprise, university):
    client = client_as(app, enterprise.username)
    answer = client.post("/needs/new", data=need_form(budget_min="0.001", budget_max="0.005"))
    assert answer.status_code == 302
    assert stored("SELECT budget_min, budget_max FROM needs") == (Decimal(0), Decimal("0.01"))
    uni = client_as(app, university.username)
    assert uni.post("/patents/new", data=patent_form(asking_price="12.345")).status_code == 302
    assert stored("SELECT asking_price FROM patents") == (Decimal("12.35"),)


def test_api_amounts_are_rounded_to_the_cent(app, enterprise):
    body = {"title": "需求", "description": "描述", "budget_min": 0.004, "budget_max": 0.125}
    answer = app.test_client().post("/api/v1/needs", json=body,
                                    headers=bearer(token_for(enterprise)))
    assert answer.status_code == 201, answer.get_json()
    assert (answer.json["budget_min"], answer.json["budget_max"]) == (0.0, 0.13)
    assert stored("SELECT budget_min, budget_max FROM needs") == (Decimal(0), Decimal("0.13"))


# -- over-long text: refused whole, never cut ------------------------------------------------------


def test_an_over_long_pasted_abstract_is_refused_and_given_back_whole(app, university,
                                                                      enterprise):
    """The forms carry no maxlength: a browser cut a pasted text at it without a word and the
    page then said "saved" (QA, stop 34). The server refuses it and keeps every character."""
    import re

    client = client_as(app, university.username)
    form = client.get("/patents/new").text
    fields = re.findall(r"<(?:input|textarea)\b[^>]*>", form)
    assert fields and not [tag for tag in fields if "maxlength" in tag]
    abstract = "本发明公开了一种再生方法。" * 400 + "结尾关键句"  # 5,205 characters
    html = client.post("/patents/new", data=patent_form(abstract=abstract)).text
    assert 'id="abstract-err"' in html and "5000" in html
    assert abstract in html  # given back whole, to shorten
    assert count(Patent) == 0
    need_page = client_as(app, enterprise.username).get("/needs/new").text
    assert not [t for t in re.findall(r"<(?:input|textarea)\b[^>]*>", need_page)
                if "maxlength" in t]


#: what a form's own constructor arguments are given in the test below (others get [])
AS_ARGUMENT = {"target": MatchStatus.RECOMMENDED, "match_id": 1, "message": "?"}


def _portal_forms():
    """Every form class of the portal (imported through the app's blueprints)."""
    from matchmaker.portal.base_form import Form

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted(set(below(Form)), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_no_portal_form_field_carries_maxlength_even_rendered_by_hand(app):
    """The rule sits in the forms' base (``portal/base_form.py``), not in one template macro: a
    field a template renders by hand (``{{ form.summary(rows=2) }}``) has no maxlength either,
    while the Length validators still refuse an over-long value on the server."""
    import inspect
    import re

    from flask_wtf import FlaskForm

    from matchmaker.portal.base_form import Form

    forms = _portal_forms()
    assert len(forms) >= 25
    with app.test_request_context("/"):
        limited = 0
        for form_class in forms:
            needed = [name for name, param in
                      inspect.signature(form_class.__init__).parameters.items()
                      if name != "self" and param.default is param.empty
                      and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)]
            form = form_class(meta={"csrf": False},
                              **{name: AS_ARGUMENT.get(name, []) for name in needed})
            for field in form:
                if getattr(field.flags, "maxlength", None):
                    limited += 1
                assert "maxlength" not in str(field()), (form_class, field.name)
        assert limited >= 20  # the validators are there; only the attribute is gone
    # every portal form is one of these: a FlaskForm of its own would bring the attribute back
    from pathlib import Path

    import matchmaker.portal as portal

    stray = [str(p) for p in Path(portal.__file__).parent.rglob("*.py")
             if p.name != "base_form.py" and re.search(r"class \w+\(FlaskForm\)", p.read_text())]
    assert stray == [] and issubclass(Form, FlaskForm)
