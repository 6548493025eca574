"""Log in, log out, password change, language switch, and no open redirects."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import AuditLog, Role, User
from tests import factories as f
from tests.pairs import client_as


@pytest.fixture
def broker(app):
    user = f.user(Role.BROKER, username="broker1", display_name="王经纪")
    db.session.commit()
    return user


def test_login_and_landing(broker, app):
    client = client_as(app, None)
    assert client.get("/auth/login").status_code == 200
    response = f.login(client, "broker1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/queue/"
    db.session.expire_all()
    assert broker.last_login_at is not None
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.actor_id == broker.id)) == "login"


@pytest.mark.parametrize(("username", "password"), [
    ("broker1", "wrong-password"), ("nobody", "password-123"), ("sleeper", "password-123")])
def test_login_refused(broker, app, username, password):
    f.user(Role.BROKER, username="sleeper", active=False)
    db.session.commit()
    client = client_as(app, None)
    response = f.login(client, username, password)
    assert response.status_code == 401
    assert "flash-danger" in response.get_data(as_text=True)
    assert client.get("/queue/").status_code == 302  # still anonymous


def test_an_empty_login_form_speaks_the_other_forms_words(broker, app):
    """The login form said WTForms' 该字段是必填字段 where every other form says 此项为必填项
    (QA, stop 34)."""
    client = client_as(app, None)
    html = client.post("/auth/login", data={"username": "", "password": ""}).get_data(
        as_text=True)
    assert html.count("此项为必填项。") == 2 and "该字段是必填字段" not in html


def test_logout_is_a_post(broker, app):
    client = client_as(app, "broker1")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/queue/").status_code == 200  # a GET did not log out
    response = client.post("/auth/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert client.get("/queue/").status_code == 302


def test_password_change(broker, app):
    client = client_as(app, "broker1")
    cases = [
        {"current": "wrong-one-123", "new": "new-password-1", "confirm": "new-password-1"},
        {"current": "password-123", "new": "new-password-1", "confirm": "different-pass"},
        {"current": "password-123", "new": "short", "confirm": "short"},
    ]
    for data in cases:
        response = client.post("/auth/password", data=data)
        assert response.status_code == 200 and 'class="errors"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert broker.check_password("password-123")
    response = client.post("/auth/password", data={
        "current": "password-123", "new": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    client.post("/auth/logout")
    assert f.login(client_as(app, None), "broker1", "password-123").status_code == 401
    assert f.login(client_as(app, None), "broker1", "new-password-1").status_code == 302


def test_password_page_needs_login(app):
    response = client_as(app, None).get("/auth/password")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_chinese_is_the_default_language(broker, app):
    html = client_as(app, None).get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "用户名" in html and "登录" in html  # the catalog is applied, not only the lang tag


def test_language_switch(broker, app):
    client = client_as(app, "broker1")
    response = client.post("/auth/language/en", data={"next": "/queue/?sort=age"})
    assert response.headers["Location"] == "/queue/?sort=age"
    html = client.get("/queue/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Review queue" in html
    db.session.expire_all()
    assert broker.locale == "en"  # remembered for the next login
    client.post("/auth/logout")
    client = client_as(app, "broker1")
    assert '<html lang="en">' in client.get("/queue/").get_data(as_text=True)
    client.post("/auth/language/zh_CN")
    html = client.get("/queue/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "待审队列" in html
    client.post("/auth/language/xx")  # unknown codes change nothing
    assert '<html lang="zh-CN">' in client.get("/queue/").get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
    "evil.example/queue"])
def test_no_open_redirect_after_login(broker, app, target):
    client = client_as(app, None)
    response = client.post("/auth/login?next=" + target,
                           data={"username": "broker1", "password": "password-123"})
    assert response.status_code == 302
    location = response.headers["Location"]
    # Only a path on this site: no scheme, no host, nothing a browser reads as "//host".
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_no_open_redirect_after_language_switch(app, target):
    response = client_as(app, None).post("/auth/language/en", data={"next": target})
    assert response.headers["Location"] == "/"


def test_next_is_honoured_for_local_paths(broker, app):
    client = client_as(app, None)
    first = client.get("/dashboard/")
    assert first.status_code == 302
    login_url = first.headers["Location"]
    assert re.search(r"next=%2Fdashboard%2F", login_url)
    response = client.post(login_url, data={"username": "broker1", "password": "password-123"})
    assert response.headers["Location"] == "/dashboard/"


def test_login_refused_without_csrf_token(csrf_app):
    f.user(Role.BROKER, username="broker1")
    db.session.commit()
    client = client_as(csrf_app, None)
    response = client.post("/auth/login", data={"username": "broker1", "password": "password-123"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)  # one language: not Flask-WTF's English description
    assert "请刷新页面后重新提交" in page and "CSRF" not in page
    assert client.get("/queue/").status_code == 302
    assert db.session.scalar(select(User.last_login_at)) is None
