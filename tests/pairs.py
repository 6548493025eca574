"""Builders for need-patent pairs used by the queue, pipeline, recommendation and dashboard tests."""

from __future__ import annotations

from datetime import timedelta

from flask import g, request_started

from matchmaker.extensions import db
from matchmaker.records import Match, MatchStatus, OrgKind, Role, utcnow
from tests import factories as f

EXPLANATION = {
    "fused": 0.8,
    "channels": {
        "use-multilingual": {"score": 0.71, "rank": 1, "weight": 0.6},
        "bm25": {"score": 9.2, "rank": 2, "weight": 0.4},
    },
    "shares": [
        {"channel": "use-multilingual", "kind": "primary", "share": 62},
        {"channel": "bm25", "kind": "lexical", "share": 38},
    ],
    "rules": [
        {"rule": "home_region", "label": "本地企业加分", "delta": 0.05},
        {"rule": "lapsed", "label": "专利失效降权", "delta": -0.1},
    ],
    "shared_terms": ["钕铁硼", "矫顽力"],
    "closest_sentences": [
        {"text": "通过晶界扩散提高钕铁硼磁体的矫顽力。", "source": "abstract", "score": 0.83}
    ],
}


def pair(*, need=None, patent=None, score: float = 0.5, status=MatchStatus.CANDIDATE,
         broker=None, age_days: float = 0, explanation: dict | None = None, **kw) -> Match:
    """A match between ``need`` and ``patent`` (fresh ones when not given)."""
    when = utcnow() - timedelta(days=age_days)
    m = Match(
        need=need or f.need(),
        patent=patent or f.patent(),
        score=score,
        rank=kw.pop("rank", 1),
        channel_scores={"use-multilingual": {"score": score, "rank": 1}},
        explanation=explanation if explanation is not None else dict(EXPLANATION),
        status=status,
        broker=broker,
        created_at=when,
        status_changed_at=when,
        **kw,
    )
    db.session.add(m)
    db.session.flush()
    return m


def cast():
    """Users of every role, one enterprise and one university with a pair between them."""
    enterprise_org = f.org(OrgKind.ENTERPRISE, region_league="包头市", contact_phone="0472-1111111")
    university_org = f.org(OrgKind.UNIVERSITY, contact_phone="0472-2222222",
                           contact_email="tto@example.edu.cn")
    people = {
        "admin": f.user(Role.ADMIN, username="admin1"),
        "broker": f.user(Role.BROKER, username="broker1", display_name="王经纪"),
        "other_broker": f.user(Role.BROKER, username="broker2", display_name="李经纪"),
        "enterprise": f.user(Role.ENTERPRISE, enterprise_org, username="ent1"),
        "university": f.user(Role.UNIVERSITY, university_org, username="uni1"),
        "enterprise_org": enterprise_org,
        "university_org": university_org,
    }
    need = f.need(enterprise=enterprise_org, region_league="包头市", technical_field="新材料")
    patent = f.patent(owner=university_org, technical_field="新材料")
    people["need"] = need
    people["patent"] = patent
    people["match"] = pair(need=need, patent=patent, score=0.8)
    db.session.commit()
    return people


def _fresh_request_state(sender, **extra):
    # The test fixtures keep one app context for the whole test, so what extensions cache on
    # ``g`` per context (flask-login's user, flask-babel's locale) would leak from the first
    # request into every later one, of any client. Production has one app context per request;
    # this restores that for these tests.
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


def client_as(app, username: str | None, password: str = "password-123"):
    """A test client logged in as ``username`` (anonymous when None)."""
    request_started.connect(_fresh_request_state, app)
    client = app.test_client()
    if username is not None:
        response = f.login(client, username, password)
        assert response.status_code == 302, response.status_code
    return client
