"""Password policy and one-time passwords that must be changed (issue 14, point 2)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Role, User
from matchmaker.security.passwords import password_problem
from tests import factories as f
from tests.pairs import client_as

GOOD = "Rare-earth-magnet-7781"


@pytest.mark.parametrize("password", ["12345678", "password", "short-1", "password1234",
                                      "qwertyuiop123", "broker1broker1", "xx-BROKER1-yy-zz"])
def test_policy_refuses_short_common_and_username_passwords(app, password):
    assert password_problem(password, "broker1") is not None


@pytest.mark.parametrize("password", [GOOD, "correct horse battery staple", "Baotou-2026-绿色稀土"])
def test_policy_accepts_long_unusual_passwords(app, password):
    assert password_problem(password, "broker1") is None


@pytest.fixture
def broker(app):
    user = f.user(Role.BROKER, username="broker1")
    f.user(Role.ADMIN, username="admin1")
    db.session.commit()
    return user


@pytest.mark.parametrize("new", ["12345678", "password", "broker1-broker1", "password1234"])
def test_change_form_refuses_weak_passwords(broker, app, new):
    client = client_as(app, "broker1")
    response = client.post("/auth/password",
                           data={"current": "password-123", "new": new, "confirm": new})
    assert response.status_code == 200 and 'class="errors"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert broker.check_password("password-123")


def test_create_user_cli_refuses_weak_passwords(app, runner):
    result = runner.invoke(args=["create-user", "newbroker", "--role", "broker",
                                 "--password", "password"])
    assert result.exit_code != 0 and "12" in result.output
    result = runner.invoke(args=["create-user", "newbroker", "--role", "broker",
                                 "--password", "newbroker-2026-x"])
    assert result.exit_code != 0 and "username" in result.output
    assert db.session.scalar(select(User).where(User.username == "newbroker")) is None
    result = runner.invoke(args=["create-user", "newbroker", "--role", "broker",
                                 "--password", GOOD])
    assert result.exit_code == 0, result.output


def _one_time_password(response) -> str:
    return re.search(r'class="otp"><code>([^<]+)</code>', response.get_data(as_text=True))[1]


def _assert_forced_to_change(client):
    for path in ("/queue/", "/patents/", "/dashboard/", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/password"), path
    assert client.get("/auth/password").status_code == 200


def test_admin_reset_password_must_be_changed_at_first_login(broker, app):
    admin = client_as(app, "admin1")
    otp = _one_time_password(admin.post(f"/admin/users/{broker.id}/password"))
    assert password_problem(otp, "broker1") is None  # generated passwords pass the policy too
    client = client_as(app, "broker1", otp)
    _assert_forced_to_change(client)
    response = client.post("/auth/password", data={"current": otp, "new": GOOD, "confirm": GOOD})
    assert response.status_code == 302
    assert client.get("/queue/").status_code == 200
    db.session.expire_all()
    assert broker.must_change_password is False


def test_invited_user_must_change_the_one_time_password(broker, app):
    admin = client_as(app, "admin1")
    response = admin.post("/admin/users/new", data={
        "username": "invited", "display_name": "新经纪", "role": "broker", "organization": ""})
    otp = _one_time_password(response)
    client = client_as(app, "invited", otp)
    _assert_forced_to_change(client)
    response = client.post("/auth/password", data={"current": otp, "new": otp, "confirm": otp})
    assert response.status_code == 200  # the same password again is no change
    _assert_forced_to_change(client)
