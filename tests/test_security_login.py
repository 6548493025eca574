"""Login throttling, constant-time failures and audited logins (issue 14, point 1)."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import AuditLog, Role
from matchmaker.security import passwords
from tests import factories as f
from tests.pairs import client_as


@pytest.fixture
def broker(app):
    user = f.user(Role.BROKER, username="broker1")
    db.session.commit()
    return user


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def test_account_is_locked_after_five_failures_even_for_the_right_password(broker, app):
    client = client_as(app, None)
    for _ in range(5):
        assert f.login(client, "broker1", "wrong-password").status_code == 401
    response = f.login(client, "broker1")  # the right password, too late
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "15" in html and "分钟" in html  # "try again in 15 minutes", in Chinese
    assert client.get("/queue/").status_code == 302  # not logged in
    assert _audits("login_failed") == 5 and _audits("login_locked") == 1
    # Another account from the same address is not affected (the address bound is higher).
    f.user(Role.BROKER, username="broker2")
    db.session.commit()
    assert f.login(client_as(app, None), "broker2").status_code == 302


def test_unknown_usernames_lock_too_and_look_the_same(app):
    client = client_as(app, None)
    for _ in range(5):
        assert f.login(client, "nobody", "wrong-password").status_code == 401
    assert f.login(client, "nobody", "wrong-password").status_code == 429


def test_address_bound_counts_failures_over_all_accounts(broker, app):
    app.config["LOGIN_ADDRESS_LIMIT"] = "8 per 15 minutes"
    client = client_as(app, None)
    for i in range(8):
        assert f.login(client, f"guess{i}", "wrong-password").status_code == 401
    assert f.login(client, "broker1").status_code == 429
    other_address = client_as(app, None)
    response = other_address.post("/auth/login", data={"username": "broker1",
                                                        "password": "password-123"},
                                  environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302


def test_an_office_logging_in_successfully_is_never_throttled(app):
    first = f.user(Role.BROKER, username="office0")
    for i in range(1, 60):
        user = f.user(Role.BROKER, username=f"office{i}", password="x" * 12)
        user.password_hash = first.password_hash  # one slow hash for the whole office
    db.session.commit()
    for i in range(60):
        assert f.login(client_as(app, None), f"office{i}").status_code == 302


def test_success_clears_the_accounts_failures(broker, app):
    client = client_as(app, None)
    for _ in range(4):
        f.login(client, "broker1", "wrong-password")
    assert f.login(client, "broker1").status_code == 302
    client.post("/auth/logout")
    for _ in range(4):
        assert f.login(client, "broker1", "wrong-password").status_code == 401
    assert f.login(client, "broker1").status_code == 302


def test_unknown_user_runs_the_same_hash_check(broker, app, monkeypatch):
    calls = []
    real = passwords.check_password_hash

    def counting(hashed, password):
        calls.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    assert f.login(client_as(app, None), "nobody", "password-123").status_code == 401
    assert f.login(client_as(app, None), "broker1", "wrong-password").status_code == 401
    assert len(calls) == 2
    # Same algorithm and cost for both: the timing does not tell the usernames apart.
    assert calls[0].split("$")[0] == calls[1].split("$")[0]


def test_logout_is_audited(broker, app):
    client = client_as(app, "broker1")
    client.post("/auth/logout")
    assert _audits("logout") == 1


def test_audit_page_shows_translated_action_names(broker, app):
    f.user(Role.ADMIN, username="admin1")
    db.session.commit()
    f.login(client_as(app, None), "broker1", "wrong-password")
    html = client_as(app, "admin1").get("/admin/audit").get_data(as_text=True)
    assert "登录失败" in html


def test_failures_are_shared_through_redis_across_workers(app_factory):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"shared-{uuid.uuid4().hex[:8]}"
    workers = [app_factory({"RATELIMIT_STORAGE_URI": url}) for _ in range(2)]
    for worker in workers:
        with worker.app_context():
            f.user(Role.BROKER, username=name)
            db.session.commit()
    for i in range(5):
        worker = workers[i % 2]
        with worker.app_context():
            assert f.login(client_as(worker, None), name, "wrong-password").status_code == 401
    for worker in workers:
        with worker.app_context():
            assert f.login(client_as(worker, None), name).status_code == 429


def test_with_rate_limiting_switched_off_logins_work_unthrottled(app_factory, monkeypatch):
    """Flask-Limiter's RATELIMIT_ENABLED=False leaves it without storage: every login raised
    an error (500) before."""
    from matchmaker.extensions import limiter

    # the extension object is shared by every app of the process and keeps the switch: put it
    # back for the tests after this one
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    app = app_factory({"RATELIMIT_ENABLED": False})
    with app.app_context():
        f.user(Role.BROKER, username="broker9")
        db.session.commit()
        client = client_as(app, None)
        for _ in range(6):
            assert f.login(client, "broker9", "wrong-password").status_code == 401
        assert f.login(client, "broker9").status_code == 302  # not locked: no throttling


def test_security_catalog_translates_every_new_string():
    """Every msgid of the security code, the auth forms and the audit labels has Chinese."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    translated = set()
    for po in (root / "matchmaker").rglob("translations/zh_CN/LC_MESSAGES/messages.po"):
        with open(po, "rb") as fh:
            translated |= {m.id for m in read_po(fh) if m.id and m.string}
    sources = [*(root / "matchmaker/security").glob("*.py"), root / "matchmaker/services/audit.py",
               *(root / "matchmaker/portal/auth").glob("*.py")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    missing = [f"{path.name}: {msgid!r}" for path in sources
               for _, msgid, _, _ in extract_from_file("python", str(path), keywords=keywords)
               if msgid not in translated]
    assert missing == []


def test_behind_a_proxy_the_forwarded_address_is_counted(app_factory):
    proxied = app_factory({"PROXY_FIX_X_FOR": 1, "LOGIN_ADDRESS_LIMIT": "3 per 15 minutes"})
    with proxied.app_context():
        client = client_as(proxied, None)

        def attempt(address, username="nobody", password="wrong-password"):
            return client.post("/auth/login", data={"username": username, "password": password},
                               headers={"X-Forwarded-For": address}).status_code

        assert [attempt("203.0.113.7", f"n{i}") for i in range(4)] == [401, 401, 401, 429]
        assert attempt("198.51.100.9", "n9") == 401  # another office behind the same proxy


def test_lockouts_grow_with_repeated_failures(broker, app, monkeypatch):
    # A short first step: 2 failures lock for a second, 4 within the hour lock for the hour
    # (production: 5 / 15 minutes, 10 / hour, 20 / day). The limiter's clock stands still
    # and moves only where the test says: on a loaded machine two logins took longer than the
    # second, and the first lock had ended before it was checked.
    import types

    clock = types.SimpleNamespace(now=time.time())
    frozen = types.SimpleNamespace(time=lambda: clock.now)
    monkeypatch.setattr("limits.storage.memory.time", frozen)
    monkeypatch.setattr("matchmaker.security.throttle.time", frozen)
    app.config["LOGIN_ACCOUNT_LIMIT"] = "2 per 1 second; 4 per hour"
    client = client_as(app, None)
    for _ in range(2):
        assert f.login(client, "broker1", "wrong-password").status_code == 401
    assert f.login(client, "broker1").status_code == 429  # first lock: one second
    clock.now += 1.2
    for _ in range(2):
        assert f.login(client, "broker1", "wrong-password").status_code == 401
    clock.now += 1.2  # the short lock is over again, but the hourly step now holds
    response = f.login(client, "broker1")
    assert response.status_code == 429
    assert "60" in response.get_data(as_text=True) or "59" in response.get_data(as_text=True)
