"""Personal API tokens: created once, stored hashed, scoped, expiring, revocable, audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import ApiToken, AuditLog, Role, utcnow
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.pairs import client_as


def test_portal_shows_a_new_token_once_and_stores_only_its_hash(app):
    f.user(Role.ENTERPRISE, username="ent")
    db.session.commit()
    client = client_as(app, "ent")
    page = client.post("/account/api-tokens", data={"name": "蒙科聚", "scopes": ["read"],
                                                    "days": 30}, follow_redirects=True)
    assert page.status_code == 200
    token = db.session.scalar(select(ApiToken))
    html = page.get_data(as_text=True)
    secret = html.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("mmk_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.prefix, token.token_hash)
    assert token.scope_list == ["read"]
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    assert secret not in client.get("/account/api-tokens").get_data(as_text=True)
    assert app.test_client().get("/api/v1/needs", headers=bearer(secret)).status_code == 200


def test_expired_revoked_and_unknown_tokens_get_401(app):
    user = f.user(Role.BROKER)
    secret = token_for(user)
    client = app.test_client()
    assert client.get("/api/v1/patents", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/patents", headers=bearer(secret + "x")).status_code == 401
    token = db.session.scalar(select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    answer = client.get("/api/v1/patents", headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.content_type == "application/problem+json"
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    token.expires_at = None
    db.session.commit()
    assert client.delete(f"/api/v1/tokens/{token.id}", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/patents", headers=bearer(secret)).status_code == 401


def test_deactivated_user_token_stops_working(app):
    user = f.user(Role.BROKER)
    secret = token_for(user)
    user.active = False
    db.session.commit()
    assert app.test_client().get("/api/v1/patents", headers=bearer(secret)).status_code == 401


def test_read_scope_cannot_write_but_may_search_and_read(app):
    user = f.user(Role.ENTERPRISE)
    secret = token_for(user, scopes=["read"])
    client = app.test_client()
    answer = client.post("/api/v1/needs", json={"title": "t", "description": "d"},
                         headers=bearer(secret))
    assert answer.status_code == 403
    assert "insufficient_scope" in answer.headers["WWW-Authenticate"]
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200


def test_every_use_is_audited_and_last_used_is_throttled(app):
    user = f.user(Role.BROKER)
    secret = token_for(user)
    client = app.test_client()
    for _ in range(3):
        client.get("/api/v1/patents", headers=bearer(secret))
    calls = db.session.scalars(select(AuditLog).where(AuditLog.action == "api_call")).all()
    assert len(calls) == 3
    assert calls[0].actor_id == user.id and calls[0].detail["status"] == 200
    token = db.session.scalar(select(ApiToken))
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/patents", headers=bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at == first  # written at most once a minute


def test_admin_manages_tokens_of_any_user_others_may_not(app):
    admin = f.user(Role.ADMIN, username="adm")
    ent = f.user(Role.ENTERPRISE, username="ent")
    other = f.user(Role.ENTERPRISE, username="ent2")
    db.session.commit()
    page = client_as(app, "adm").post(f"/account/api-tokens?user={ent.id}",
                                      data={"name": "for ent", "scopes": ["read", "write"]},
                                      follow_redirects=True)
    assert page.status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.user_id == ent.id and token.created_by_id == admin.id
    assert client_as(app, "ent2").get(f"/account/api-tokens?user={ent.id}").status_code == 403
    answer = client_as(app, "ent2").post(f"/account/api-tokens/{token.id}/revoke")
    assert answer.status_code == 403
    assert other.id != ent.id and db.session.get(ApiToken, token.id).revoked_at is None
    client_as(app, "ent").post(f"/account/api-tokens/{token.id}/revoke")
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_session_cookie_is_not_accepted_by_the_api(app):
    f.user(Role.ADMIN, username="adm")
    db.session.commit()
    client = client_as(app, "adm")
    assert client.get("/api/v1/needs").status_code == 401
    assert client.post("/api/v1/needs", json={"title": "t", "description": "d"}).status_code == 401


def _create_as_enterprise(app, name: str):
    """(client, the 303 answer to a new read token named ``name``) of a fresh enterprise user."""
    f.user(Role.ENTERPRISE, username="ent")
    db.session.commit()
    client = client_as(app, "ent")
    created = client.post("/account/api-tokens", data={"name": name, "scopes": ["read"],
                                                       "days": 30})
    assert created.status_code == 303
    return client, created


def _session_of(app, client) -> tuple[str, dict]:
    """The raw session cookie and what it says (signed, not encrypted: anyone can read it)."""
    raw = client.get_cookie("session").value
    return raw, app.session_interface.get_signing_serializer(app).loads(raw)


def test_the_session_cookie_never_carries_the_new_secret_and_a_copy_reveals_nothing(app):
    client, created = _create_as_enterprise(app, "蒙科聚")
    raw, carried = _session_of(app, client)
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("mmk_")
    assert secret not in raw and secret not in str(carried)  # only noise without the pad
    assert secret[4:20] not in str(carried)
    token = db.session.scalar(select(ApiToken))
    db.session.refresh(token)
    assert token.reveal_pad is None  # shown: the pad is gone
    # a copy of the cookie taken before the page (a proxy's log) shows nothing later
    client.set_cookie("session", raw)
    again = client.get("/account/api-tokens").get_data(as_text=True)
    assert 'class="secret"' not in again and secret not in again


def test_a_secret_not_shown_in_time_is_never_shown(app):
    client, created = _create_as_enterprise(app, "慢")
    token = db.session.scalar(select(ApiToken))
    token.created_at = utcnow() - timedelta(minutes=10)  # the redirect was never followed
    db.session.commit()
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'class="secret"' not in page
    db.session.refresh(token)
    assert token.reveal_pad is None


def test_pads_left_behind_are_dropped_when_the_owner_opens_the_page(app):
    client, _created = _create_as_enterprise(app, "离开")
    client.get("/")  # left for another page: the redirect is never followed
    token = db.session.scalar(select(ApiToken))
    assert token.reveal_pad is not None
    token.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    client.get("/account/api-tokens")
    db.session.refresh(token)
    assert token.reveal_pad is None
