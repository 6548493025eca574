"""Sixty brokers log in at once on the embedded default (SQLite): no login fails (issue 13)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import AuditLog, Role, User
from tests import factories as f

USERS = 60


def test_sixty_simultaneous_logins_on_sqlite_all_succeed(app):
    first = f.user(Role.BROKER, username="crowd00")
    for i in range(1, USERS):  # one hash for all: each made by set_password costs a hash
        db.session.add(User(username=f"crowd{i:02d}", display_name="broker", role=Role.BROKER,
                            active=True, password_hash=first.password_hash))
    db.session.commit()  # end the fixture's read transaction (SQLite: its lock)
    barrier = threading.Barrier(USERS, timeout=60)
    statuses: dict[str, int] = {}
    errors: list[BaseException] = []

    def login(name: str) -> None:
        client = app.test_client()  # one browser per broker; each call is one request
        try:
            barrier.wait()
            statuses[name] = f.login(client, name).status_code
        except BaseException as exc:  # collected: the assertion names it
            errors.append(exc)

    threads = [threading.Thread(target=login, args=(f"crowd{i:02d}",)) for i in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(statuses) == [f"crowd{i:02d}" for i in range(USERS)]
    assert {name: s for name, s in statuses.items() if s != 302} == {}
    db.session.expire_all()
    logged_in = db.session.scalar(
        select(func.count()).select_from(User).where(User.last_login_at.is_not(None)))
    assert logged_in == USERS
    audited = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "login"))
    assert audited == USERS
