"""Server-side session validity, timeouts and cookie flags (issue 14, point 3)."""

from __future__ import annotations

import time

import pytest

from matchmaker.extensions import db
from matchmaker.records import Role
from tests import factories as f
from tests.pairs import client_as

GOOD = "Rare-earth-magnet-7781"


@pytest.fixture
def people(app):
    broker = f.user(Role.BROKER, username="broker1")
    f.user(Role.ADMIN, username="admin1")
    db.session.commit()
    return broker


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = client_as(app, None)
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/queue/").status_code == 200
    return thief


def _logged_out(client) -> bool:
    response = client.get("/queue/")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_copied_cookie_stops_working_after_logout(people, app):
    client = client_as(app, "broker1")
    thief = _copy(app, client)
    client.post("/auth/logout")
    assert _logged_out(thief)


def test_password_change_ends_other_sessions_and_keeps_this_one(people, app):
    client = client_as(app, "broker1")
    thief = _copy(app, client)
    response = client.post("/auth/password",
                           data={"current": "password-123", "new": GOOD, "confirm": GOOD})
    assert response.status_code == 302
    assert _logged_out(thief)
    assert client.get("/queue/").status_code == 200


def test_admin_reset_and_deactivation_end_sessions(people, app):
    client = client_as(app, "broker1")
    thief = _copy(app, client)
    admin = client_as(app, "admin1")
    admin.post(f"/admin/users/{people.id}/password")
    assert _logged_out(thief) and _logged_out(client)

    db.session.expire_all()
    people.set_password("password-123")
    people.must_change_password = False
    db.session.commit()
    client = client_as(app, "broker1")
    admin.post(f"/admin/users/{people.id}/active", data={"active": "0"})
    admin.post(f"/admin/users/{people.id}/active", data={"active": "1"})
    assert _logged_out(client)  # re-activation does not revive the old session


@pytest.mark.parametrize(("key", "age"), [("_seen_at", 121 * 60), ("_auth_at", 12 * 3600 + 60)])
def test_idle_and_absolute_timeouts(people, app, key, age):
    client = client_as(app, "broker1")
    assert client.get("/queue/").status_code == 200
    with client.session_transaction() as session:
        assert key in session
        session[key] = time.time() - age
    assert _logged_out(client)


def test_activity_keeps_an_idle_session_alive(people, app):
    client = client_as(app, "broker1")
    with client.session_transaction() as session:
        session["_seen_at"] = time.time() - 119 * 60
    assert client.get("/queue/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["_seen_at"] < 60


def test_cookie_lifetime_is_the_absolute_limit(app):
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_session_cookie_is_secure_outside_testing(app_factory):
    production = app_factory({"TESTING": False})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    with production.app_context():
        f.user(Role.BROKER, username="broker1")
        db.session.commit()
        response = f.login(production.test_client(), "broker1")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app_factory({"TESTING": False, "SESSION_COOKIE_SECURE": False}).config[
        "SESSION_COOKIE_SECURE"] is False
    assert app_factory().config["SESSION_COOKIE_SECURE"] is False  # tests run over http
