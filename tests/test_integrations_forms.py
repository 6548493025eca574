"""The API token and webhook pages: a token with some scopes, a webhook for some events.

The checkbox groups once carried ``DataRequired``, whose ``required`` flag WTForms writes on
every box: a browser then refused the form until all of them were ticked. One box is still
needed, checked on the server with a message next to the group. The lists show the same words
as the forms' boxes (读取, 发布新需求) and dates as the other pages do, and fold into cards on
a phone (``table.cards``).
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import ApiToken, OrgKind, Role, User, WebhookSubscription
from matchmaker.services import api_tokens
from tests import factories as f
from tests.pairs import client_as

TOKENS = "/account/api-tokens"
WEBHOOKS = "/webhooks/"


def _boxes(html: str, name: str) -> list[str]:
    """The ``<input>`` tags of the checkbox group ``name``."""
    return [tag for tag in re.findall(r"<input\b[^>]*>", html)
            if f'name="{name}"' in tag and 'type="checkbox"' in tag]


def _errors(html: str, field: str) -> str:
    """The error list rendered next to ``field`` ("" when there is none)."""
    found = re.search(rf'<ul class="errors" id="{field}-err">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _enterprise(app):
    org = f.org(OrgKind.ENTERPRISE)
    f.user(Role.ENTERPRISE, org, username="ent")
    db.session.commit()
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True  # the test endpoint is 127.0.0.1
    return org, client_as(app, "ent")


# ---- the forms: no `required` on a box, one box still needed ----


def test_no_checkbox_of_either_form_carries_required(app):
    _org, client = _enterprise(app)
    tokens = client.get(TOKENS).get_data(as_text=True)
    scopes = _boxes(tokens, "scopes")
    assert len(scopes) == 2
    assert not any(re.search(r"\brequired\b", tag) for tag in scopes), scopes
    assert re.search(r'<input[^>]*\brequired\b[^>]*name="name"|<input[^>]*name="name"[^>]*\brequired\b',
                     tokens)  # the name is still required in the browser
    webhooks = client.get(WEBHOOKS).get_data(as_text=True)
    events = _boxes(webhooks, "events")
    assert len(events) == 5
    assert not any(re.search(r"\brequired\b", tag) for tag in events), events
    for page, field in ((tokens, "scopes"), (webhooks, "events")):  # the label still says so
        assert re.search(rf'for="{field}"[^>]*>[^<]*</label><span class="req"', page), field


def test_a_read_only_token_is_created(app):
    _org, client = _enterprise(app)
    page = client.post(TOKENS, data={"name": "只读", "scopes": ["read"], "days": 30},
                       follow_redirects=True)
    assert page.status_code == 200 and 'class="secret"' in page.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)).scope_list == ["read"]


def test_a_token_without_a_scope_is_refused_with_a_message(app):
    _org, client = _enterprise(app)
    html = client.post(TOKENS, data={"name": "无权限", "days": 30}).get_data(as_text=True)
    assert "请至少选择一个权限范围。" in _errors(html, "scopes")
    assert 'class="secret"' not in html
    assert _count(ApiToken) == 0
    english = client.post(TOKENS + "?lang=en", data={"name": "none", "days": 30})
    assert "Choose at least one scope." in _errors(english.get_data(as_text=True), "scopes")
    assert _count(ApiToken) == 0


def test_a_webhook_for_one_event_is_created(app):
    org, client = _enterprise(app)
    page = client.post(WEBHOOKS, data={"organization": org.id, "url": "http://127.0.0.1:9/hook",
                                       "events": ["patent.listed"]}, follow_redirects=True)
    assert page.status_code == 200 and 'class="secret"' in page.get_data(as_text=True)
    assert db.session.scalar(select(WebhookSubscription)).event_list == ["patent.listed"]


def test_a_webhook_without_an_event_is_refused_with_a_message(app):
    org, client = _enterprise(app)
    data = {"organization": org.id, "url": "http://127.0.0.1:9/hook"}
    html = client.post(WEBHOOKS, data=data).get_data(as_text=True)
    assert "请至少选择一个事件。" in _errors(html, "events")
    assert 'class="secret"' not in html
    assert _count(WebhookSubscription) == 0
    english = client.post(WEBHOOKS + "?lang=en", data=data).get_data(as_text=True)
    assert "Choose at least one event." in _errors(english, "events")
    assert _count(WebhookSubscription) == 0


# ---- the lists: the forms' words, the portal's dates, cards on a phone ----


def _cell(html: str, label: str) -> str:
    """The text of the first list cell labelled ``label`` (its data-label)."""
    found = re.search(rf'<td data-label="{label}"[^>]*>(.*?)</td>', html, re.S)
    assert found, f"no cell labelled {label}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_the_token_list_shows_scope_labels_and_local_dates_as_cards(app):
    _org, client = _enterprise(app)
    owner = _user("ent")
    token, _secret = api_tokens.create_token(owner, "读写", ["read", "write"], actor=owner, days=30)
    token.last_used_at = datetime(2026, 3, 1, 16, 30, 5, 123456)  # UTC, stored naive
    db.session.commit()
    html = client.get(TOKENS).get_data(as_text=True)
    assert '<table class="data cards">' in html
    assert _cell(html, "权限范围") == "读取、写入"
    assert "read,write" not in html
    local = token.expires_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Asia/Shanghai"))
    assert _cell(html, "到期") == local.strftime("%Y-%m-%d %H:%M")
    assert _cell(html, "最近使用") == "2026-03-02 00:30"  # Beijing time
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", html)  # no raw datetime with microseconds
    assert _cell(html, "操作") == "吊销"
    english = client.get(TOKENS + "?lang=en").get_data(as_text=True)
    assert _cell(english, "Scopes") == "read, write"


def test_a_token_without_expiry_shows_never(app):
    _org, client = _enterprise(app)
    owner = _user("ent")
    api_tokens.create_token(owner, "长期", ["read"], actor=owner, days=0)
    html = client.get(TOKENS).get_data(as_text=True)
    assert _cell(html, "到期") == "永不" and _cell(html, "最近使用") == "–"
    assert _cell(html, "权限范围") == "读取"


def test_the_webhook_list_shows_event_labels_as_cards(app):
    org, client = _enterprise(app)
    db.session.add(WebhookSubscription(organization_id=org.id, url="https://hooks.example.com/h",
                                       secret="s" * 40, events="need.posted,match.moved"))
    db.session.commit()
    html = client.get(WEBHOOKS).get_data(as_text=True)
    assert '<table class="data cards">' in html
    assert _cell(html, "事件") == "发布新需求、配对进入其他阶段"
    assert "need.posted,match.moved" not in html and "<code>need.posted" not in html
    assert _cell(html, "接收地址") == "https://hooks.example.com/h"
    english = client.get(WEBHOOKS + "?lang=en").get_data(as_text=True)
    assert _cell(english, "Events") == "A need is posted, A pair moves to another stage"


def test_an_event_code_without_a_label_still_shows(app):
    """A code the form no longer offers (an old row) shows as itself rather than vanishing."""
    org, client = _enterprise(app)
    db.session.add(WebhookSubscription(organization_id=org.id, url="https://hooks.example.com/h",
                                       secret="s" * 40, events="need.posted,legacy.event"))
    db.session.commit()
    html = client.get(WEBHOOKS).get_data(as_text=True)
    assert _cell(html, "事件") == "发布新需求、legacy.event"
