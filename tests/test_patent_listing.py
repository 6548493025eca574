"""Closing a patent's listing (API ``POST /patents/<id>/status``): it leaves matching, the
showcase and the queue, and can be listed again (issue 11: patents close like needs)."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import (
    AuditLog,
    Match,
    MatchStatus,
    OrgKind,
    Patent,
    RejectionReason,
    Role,
)
from matchmaker.services import matching, pipeline
from matchmaker.services.stale import refusal
from tests import factories as f
from tests.api_support import bearer, cast_with_tokens, token_for


def _status(client, patent_id, secret, status="closed", **headers):
    return client.post(f"/api/v1/patents/{patent_id}/status", json={"status": status},
                       headers={**bearer(secret), **headers})


def test_only_the_owner_and_admins_close_a_listing(app):
    c = cast_with_tokens()
    client, t, patent_id = app.test_client(), c["tokens"], c["patent"].id
    for role in ("enterprise", "broker"):
        assert _status(client, patent_id, t[role]).status_code in (403, 404), role
    other = f.user(Role.UNIVERSITY, f.org(OrgKind.UNIVERSITY), username="uni-other")
    db.session.commit()

    assert _status(client, patent_id, token_for(other)).status_code in (403, 404)
    assert db.session.get(Patent, patent_id).listed
    answer = _status(client, patent_id, t["university"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["listing"] == "closed"
    assert answer.headers["ETag"]


def test_a_closed_listing_leaves_matching_showcase_and_queue(app):
    c = cast_with_tokens()
    client, t = app.test_client(), c["tokens"]
    patent, need, pair = c["patent"], c["need"], c["match"]
    assert client.get(f"/showcase/patents/{patent.id}").status_code == 200
    assert patent.id in [r.id for r in matching.service().match_need(need, 5)]

    assert _status(client, patent.id, t["admin"]).status_code == 200
    db.session.expire_all()
    pair = db.session.get(Match, pair.id)
    assert pair.status is MatchStatus.REJECTED
    assert pair.rejection_reason == RejectionReason.LISTING_CLOSED
    assert "listing closed" in pair.history[-1].reason
    assert refusal(pair) is not None  # recommending it is refused with a message
    assert client.get(f"/showcase/patents/{patent.id}").status_code == 404
    assert patent.id not in [r.id for r in matching.service().match_need(need, 5)]
    listed = client.get("/api/v1/patents", headers=bearer(t["admin"])).get_json()["items"]
    assert {p["id"]: p["listing"] for p in listed}[patent.id] == "closed"
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "patent_listing")).all()
    assert len(audit) == 1

    def indexed() -> bool:
        return patent.id in [h.id for h in matching.service().search("patents", patent.title, 5)]

    assert not indexed()
    again = _status(client, patent.id, t["university"], status="listed")
    assert again.status_code == 200 and again.get_json()["listing"] == "listed"
    db.session.expire_all()
    assert indexed()  # matched again; the withdrawn pair itself stays in its history
    assert client.get(f"/showcase/patents/{patent.id}").status_code == 200


def test_closing_twice_changes_nothing_and_a_stale_etag_is_refused(app):
    c = cast_with_tokens()
    client, t, patent_id = app.test_client(), c["tokens"], c["patent"].id
    assert _status(client, patent_id, t["university"], **{"If-Match": '"stale"'}
                   ).status_code == 412
    assert _status(client, patent_id, t["university"]).status_code == 200
    assert _status(client, patent_id, t["university"]).status_code == 200
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "patent_listing")).all()
    assert len(audit) == 1


def test_a_recommended_pair_stays_but_cannot_move_on(app):
    c = cast_with_tokens()
    pair = c["match"]
    pipeline.move(pair, MatchStatus.RECOMMENDED, c["broker"])
    assert _status(app.test_client(), c["patent"].id, c["tokens"]["admin"]).status_code == 200
    db.session.expire_all()
    pair = db.session.get(Match, pair.id)
    assert pair.status is MatchStatus.RECOMMENDED  # a broker's work is left to the broker
    assert "closed" in (refusal(pair) or "")
