"""Number and date errors in the screen's language and the project's words (issue 10, point 3):
never WTForms' "不是有效的浮点数。" / "Not a valid float value."."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date, timedelta

import pytest
from flask import g
from flask_babel import refresh
from flask_wtf import FlaskForm
from wtforms import fields as wtf_fields
from wtforms.meta import DefaultMeta

import matchmaker.portal
from matchmaker.extensions import db
from matchmaker.portal import fields as own
from matchmaker.records import OrgKind, Role
from tests import factories as f

NUMERIC = (wtf_fields.IntegerField, wtf_fields.FloatField, wtf_fields.DecimalField,
           wtf_fields.DateField, wtf_fields.DateTimeField)
WORDS = {
    "zh_CN": {own.DecimalField: "请输入数字", own.FloatField: "请输入数字",
              own.IntegerField: "请输入整数", own.DateField: "请输入有效的日期，格式为 YYYY-MM-DD"},
    "en": {own.DecimalField: "Enter a number", own.FloatField: "Enter a number",
           own.IntegerField: "Enter a whole number", own.DateField: "Enter a real date as YYYY-MM-DD"},
}
WTFORMS_WORDS = ("不是有效的", "Not a valid")


def _forms() -> list[type]:
    """Every FlaskForm class of every portal blueprint."""
    found = []
    for module in pkgutil.walk_packages(matchmaker.portal.__path__, "matchmaker.portal."):
        if module.name.endswith("forms"):
            loaded = importlib.import_module(module.name)
            found += [v for v in vars(loaded).values()
                      if isinstance(v, type) and issubclass(v, FlaskForm) and v is not FlaskForm
                      and v.__module__ == module.name]
    return found


def _number_fields() -> list[tuple[str, object]]:
    out = []
    for form in _forms():
        for name in dir(form):
            unbound = getattr(form, name, None)
            if hasattr(unbound, "field_class") and issubclass(unbound.field_class, NUMERIC):
                out.append((f"{form.__name__}.{name}", unbound))
    return out


def test_every_number_and_date_field_uses_the_project_fields():
    found = _number_fields()
    assert len(found) >= 12  # needs, patents, queue, pipeline, events, integrations
    assert [where for where, unbound in found if unbound.field_class not in WORDS["en"]] == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_number_and_date_field_says_what_to_type(app, locale):
    class Post(dict):
        def getlist(self, key):
            return self[key]

    with app.test_request_context(f"/?lang={locale}"):
        refresh()
        for where, unbound in _number_fields():
            field = unbound.bind(form=None, name="x", _meta=DefaultMeta())
            field.process(Post(x=["12abc"]))
            expected = WORDS[locale][unbound.field_class]
            assert field.process_errors == [expected], where
    refresh()


# --- through the pages ----------------------------------------------------------------------


@pytest.fixture
def people(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    ent = f.org(OrgKind.ENTERPRISE, name="包头磁材公司")
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    f.user(Role.UNIVERSITY, uni, username="uni1")
    f.user(Role.BROKER, username="broker1")
    db.session.commit()
    return app


def _client(app, username: str, locale: str):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    if locale == "en":
        client.post("/auth/language/en")
    return client


def _need(**overrides) -> dict:
    data = {"title": "高矫顽力烧结钕铁硼磁体开发", "description": "希望降低重稀土用量。",
            "technical_field": "稀土永磁", "keywords": "钕铁硼", "budget_min": "50",
            "budget_max": "200", "cooperation_mode": "licence",
            "deadline": (date.today() + timedelta(days=60)).isoformat(),
            "region_league": "包头市", "confidentiality": "public"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_bad_numbers_and_dates_on_the_pages(people, locale):
    words = WORDS[locale]
    refresh()
    ent = _client(people, "ent1", locale)
    pages = []
    html = ent.post("/needs/new", data=_need(budget_min="五十", deadline="2026/13/45")).get_data(True)
    assert words[own.DecimalField] in html and words[own.DateField] in html
    pages.append(html)
    uni = _client(people, "uni1", locale)
    html = uni.post("/patents/new", data={"publication_number": "CN114081026A", "title": "一种磁体",
                                          "abstract": "本发明公开了一种磁体。", "asking_price": "1,2,3",
                                          "filing_date": "yesterday"}).get_data(True)
    assert words[own.DecimalField] in html and words[own.DateField] in html
    pages.append(html)
    broker = _client(people, "broker1", locale)
    html = broker.get("/queue/?score_min=high&age_min=1.5").get_data(True)
    assert words[own.FloatField] in html and words[own.IntegerField] in html
    pages.append(html)
    assert [text for text in WTFORMS_WORDS for html in pages if text in html] == []
