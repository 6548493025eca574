"""A form's CSRF token lives as long as its session: an hour on a long form loses nothing."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import Need, OrgKind, Role
from tests import factories as f
from tests.pairs import client_as

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _token(client, url: str) -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def _login(app, username: str):
    client = app.test_client()
    answer = client.post("/auth/login", data={
        "username": username, "password": "password-123",
        "csrf_token": _token(client, "/auth/login")})
    assert answer.status_code == 302
    return client


def test_a_form_opened_61_minutes_ago_in_a_live_session_is_saved(csrf_app, monkeypatch):
    client_as(csrf_app, None)  # fresh login state per request, as in the other portal tests
    f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE, "包头稀土企业"), username="ent1")
    db.session.commit()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 61 * 60)  # an hour ago:
    client = _login(csrf_app, "ent1")
    token = _token(client, "/needs/new")  # the form was opened then
    monkeypatch.setattr(time, "time", real)  # and is sent now (the session is 61 min idle)
    answer = client.post("/needs/new", data={
        "csrf_token": token, "title": "稀土抛光粉回收", "description": "回收废旧稀土抛光粉中的铈。",
        "technical_field": "稀土", "cooperation_mode": "licence", "confidentiality": "public"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert db.session.scalar(select(func.count(Need.id))) == 1


def test_a_login_starts_a_new_token(csrf_app):
    """The token of the anonymous login page is no token of the session that follows."""
    client_as(csrf_app, None)
    f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE, "包头稀土企业"), username="ent1")
    db.session.commit()
    client = csrf_app.test_client()
    before = _token(client, "/auth/login")
    assert client.post("/auth/login", data={
        "username": "ent1", "password": "password-123", "csrf_token": before}).status_code == 302
    assert client.post("/needs/new", data={"csrf_token": before, "title": "x"}).status_code == 400
    assert db.session.scalar(select(func.count(Need.id))) == 0
