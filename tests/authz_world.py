"""The world of the authorization matrix: one record of every kind, owned by the "owner"
organizations, plus look-alike organizations and brokers in and out of scope."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from matchmaker.extensions import db
from matchmaker.records import (
    ApiToken,
    ContactRequest,
    EventPatent,
    EventRegistration,
    EventStatus,
    Job,
    JobStatus,
    Match,
    MatchStatus,
    Notification,
    OrgKind,
    ReleaseEvent,
    Role,
    SavedView,
    WebhookSubscription,
)
from tests import factories as f
from tests.authz_table import ROLES

__all__ = ["PASSWORD", "ROLES", "build", "checksum", "rebuild"]

PASSWORD = "matrix-password-123"
# A cheap hash (a few hundred logins per run); the login path checks it like any other.
_HASH = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")


def build() -> dict:
    """Create the records; returns the URL arguments and the users by role name."""
    from datetime import date, timedelta

    ent = f.org(OrgKind.ENTERPRISE, name="甲企业", region_league="包头市")
    ent_other = f.org(OrgKind.ENTERPRISE, name="乙企业")
    uni = f.org(OrgKind.UNIVERSITY, name="甲大学")
    uni_other = f.org(OrgKind.UNIVERSITY, name="乙大学")
    users = {
        "admin": f.user(Role.ADMIN, username="m_admin"),
        "broker_in": f.user(Role.BROKER, username="m_broker_in", broker_fields="H",
                            broker_regions="包头市"),
        "broker_out": f.user(Role.BROKER, username="m_broker_out", broker_fields="A",
                             broker_regions="阿拉善盟"),
        "ent_owner": f.user(Role.ENTERPRISE, ent, username="m_ent_owner"),
        "ent_other": f.user(Role.ENTERPRISE, ent_other, username="m_ent_other"),
        "uni_owner": f.user(Role.UNIVERSITY, uni, username="m_uni_owner"),
        "uni_other": f.user(Role.UNIVERSITY, uni_other, username="m_uni_other"),
    }
    for user in users.values():
        user.password_hash = _HASH
    need = f.need(enterprise=ent, region_league="包头市", technical_field="新材料")
    patent = f.patent(owner=uni, ipc=["H01F 1/057"])
    other_patent = f.patent(owner=uni_other, ipc=["H01F 1/08"])
    match = Match(need=need, patent=patent, score=0.8, rank=1, channel_scores={},
                  explanation={}, status=MatchStatus.RECOMMENDED)
    db.session.add(match)
    event = ReleaseEvent(number="蒙科聚-2026-第9期", name="矩阵专场", status=EventStatus.PLANNED,
                         held_on=date.today() + timedelta(days=10))
    db.session.add(event)
    db.session.flush()
    db.session.add(EventPatent(event=event, patent=patent, position=0))
    db.session.add(EventRegistration(event=event, organization=ent))
    note = Notification(user=users["ent_owner"], kind="test", message="矩阵通知")
    db.session.add(note)
    db.session.flush()
    # Owned by the owners: a finished job, an API token, a webhook endpoint, a saved queue view.
    job = Job(kind="build_index", status=JobStatus.SUCCEEDED, params={},
              created_by=users["ent_owner"])
    token = ApiToken(user=users["ent_owner"], name="矩阵", prefix="mm_matrix",
                     token_hash=hashlib.sha256(b"matrix-token").hexdigest(), scopes="read")
    hook = WebhookSubscription(organization=ent, url="https://example.invalid/hook",
                               secret="s" * 32, events="need.posted")
    view = SavedView(user_id=users["broker_in"].id, name="矩阵视图", query="status=pending")
    # A showcase visitor's contact request about the owners' patent (brokers work it).
    contact = ContactRequest(patent=patent, name="访客", organization="丙公司",
                             phone="0472-1234567", message="希望对接")
    db.session.add_all([job, token, hook, view, contact])
    db.session.commit()
    args = {
        "need_id": need.id, "patent_id": patent.id, "match_id": match.id, "event_id": event.id,
        "org_id": ent.id, "organization_id": ent.id, "user_id": users["ent_owner"].id,
        "notification_id": note.id, "code": "en", "status": "closed", "to": "contacted",
        "fmt": "csv", "filename": "css/app.css",
        "job_id": job.id, "token_id": token.id, "sub_id": hook.id, "view_id": view.id,
        "action": "disable", "kind": "patents", "subscription_id": hook.id,
        "request_id": contact.id,
    }
    # Programme rows: the listed patent (save/remove) vs. one to add.
    args["other_patent_id"] = other_patent.id
    return {"args": args, "users": users}


def rebuild() -> None:
    """Empty every table and build the world again (ids restart, so they stay the same)."""
    db.session.remove()
    db.drop_all()
    db.create_all()
    build()


def checksum() -> str:
    """A digest of every row of every table, to prove a refused request wrote nothing."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()
