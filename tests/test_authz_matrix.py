"""The authorization matrix: every route, every role, GET and POST, against one declarative
table (tests/authz_table.py); a refused POST must leave every table row unchanged."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import g, request_started

from matchmaker.extensions import db
from tests import authz_world as world
from tests.authz_table import RULES


def _fresh_request_state(sender, **extra):
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


def _url(app, endpoint: str, args: dict) -> str:
    rule = next(app.url_map.iter_rules(endpoint))
    values = {name: args[name] for name in rule.arguments}
    if endpoint in ("events.save_listing", "events.remove_patent"):
        values["patent_id"] = args["patent_id"]
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _clients(app, users) -> dict:
    request_started.connect(_fresh_request_state, app)
    clients = {"anonymous": app.test_client()}
    for role, user in users.items():
        client = app.test_client()
        answer = client.post("/auth/login", data={"username": user.username,
                                                  "password": world.PASSWORD})
        assert answer.status_code == 302, (role, answer.status_code)
        clients[role] = client
    return clients


def outcome(response) -> str:
    """allow, deny (403/404), login (redirected to the login page) or token (401: the API
    takes bearer tokens only, never the portal's session; its per-role rules are checked by
    tests/test_api_access.py and the schemathesis suite)."""
    assert response.status_code < 500, response.status_code
    if response.status_code == 401:
        return "token"
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code in (301, 302, 303) and urlsplit(
        response.headers["Location"]
    ).path.startswith("/auth/login"):
        return "login"
    return "allow"


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods & {"GET", "POST"}:
            found.add((rule.endpoint, method))
    return found


def test_every_route_is_in_the_table(app):
    assert _routes(app) == set(RULES), "add the missing routes to tests/authz_table.py"


def test_get_matrix(app):
    made = world.build()
    clients = _clients(app, made["users"])
    failures = []
    for (endpoint, method), expected in sorted(RULES.items()):
        if method != "GET":
            continue
        url = _url(app, endpoint, made["args"])
        for role in world.ROLES:
            got = outcome(clients[role].get(url))
            if got != expected[role]:
                failures.append(f"GET {url} as {role}: {got}, table says {expected[role]}")
    assert failures == []


POSTS = sorted(key for key in RULES if key[1] == "POST")


@pytest.mark.parametrize("endpoint", [e for e, _m in POSTS])
def test_post_matrix(app, endpoint):
    made = world.build()
    clients = _clients(app, made["users"])
    expected = RULES[(endpoint, "POST")]
    url = _url(app, endpoint, made["args"])
    failures = []
    # Refused roles first, each against an untouched database; an allowed POST may change or
    # remove the records, so the world is rebuilt (same ids, sessions stay valid) after one.
    for role in sorted(world.ROLES, key=lambda r: expected[r] == "allow"):
        before = world.checksum()
        got = outcome(clients[role].post(url, data={}))
        if endpoint == "auth.logout" and role != "anonymous" and got == "login":
            got = "allow"  # logging out succeeds by showing the login page
        db.session.rollback()
        after = world.checksum()
        if got != expected[role]:
            failures.append(f"POST {url} as {role}: {got}, table says {expected[role]}")
        elif got != "allow":
            assert after == before, f"refused POST {url} as {role} wrote to the database"
        if after != before:
            world.rebuild()
    assert failures == []
