"""Small builders for records in tests (no randomness: every value is explicit or counted)."""

from __future__ import annotations

import itertools

from matchmaker.extensions import db
from matchmaker.records import (
    LegalStatus,
    Need,
    Organization,
    OrgKind,
    Patent,
    Role,
    User,
)

_seq = itertools.count(1)


def org(kind: OrgKind = OrgKind.ENTERPRISE, name: str | None = None, **kw) -> Organization:
    o = Organization(kind=kind, name=name or f"{kind.value}-{next(_seq)}", **kw)
    db.session.add(o)
    db.session.flush()
    return o


def user(role: Role, organization: Organization | None = None, username: str | None = None,
         password: str = "password-123", **kw) -> User:
    if organization is None and role is Role.ENTERPRISE:
        organization = org(OrgKind.ENTERPRISE)
    if organization is None and role is Role.UNIVERSITY:
        organization = org(OrgKind.UNIVERSITY)
    u = User(
        username=username or f"{role.value}{next(_seq)}",
        display_name=kw.pop("display_name", None) or role.value,
        role=role,
        organization=organization,
        active=kw.pop("active", True),
        **kw,
    )
    u.set_password(password)
    db.session.add(u)
    db.session.flush()
    return u


def patent(title: str = "一种稀土永磁材料的制备方法", abstract: str | None = None, *,
           owner: Organization | None = None, number: str | None = None,
           ipc: list[str] | None = None, status: LegalStatus = LegalStatus.VALID, **kw) -> Patent:
    p = Patent(
        publication_number=number or f"CN{114000000 + next(_seq)}A",
        title=title,
        abstract=abstract or f"{title}。本发明公开了{title}，具有成本低、性能稳定的优点。",
        legal_status=status,
        owner=owner,
        **kw,
    )
    p.ipc_codes = ipc or ["H01F 1/057"]
    db.session.add(p)
    db.session.flush()
    return p


def need(title: str = "烧结钕铁硼磁体降本需求", description: str | None = None, *,
         enterprise: Organization | None = None, **kw) -> Need:
    n = Need(
        title=title,
        description=description or f"{title}：希望降低重稀土用量，提高矫顽力。",
        enterprise=enterprise or org(OrgKind.ENTERPRISE),
        keywords=kw.pop("keywords", ["钕铁硼", "矫顽力"]),
        **kw,
    )
    db.session.add(n)
    db.session.flush()
    return n


def login(client, username: str, password: str = "password-123"):
    """Log in through the real form; returns the response."""
    return client.post(
        "/auth/login", data={"username": username, "password": password}, follow_redirects=False
    )
