"""Every role rule through the API: the access service decides, as in the portal."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.records import Confidentiality, MatchStatus, OrgKind, Role
from tests import factories as f
from tests.api_support import bearer, cast_with_tokens, token_for


def _ids(client, path, secret):
    answer = client.get(path, headers=bearer(secret))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {item["id"] for item in answer.get_json()["items"]}


def test_needs_patents_and_matches_are_filtered_per_role(app):
    c = cast_with_tokens()
    other_org = f.org(OrgKind.ENTERPRISE)
    foreign_need = f.need(enterprise=other_org)
    hidden = f.need(enterprise=other_org, confidentiality=Confidentiality.BROKERS)
    foreign_patent = f.patent(owner=f.org(OrgKind.UNIVERSITY))
    db.session.commit()
    client, t = app.test_client(), c["tokens"]
    needs = "/api/v1/needs"
    assert _ids(client, needs, t["admin"]) >= {c["need"].id, foreign_need.id, hidden.id}
    assert _ids(client, needs, t["enterprise"]) == {c["need"].id}
    assert hidden.id not in _ids(client, needs, t["broker"])
    assert _ids(client, needs, t["university"]) == set()  # pair not recommended yet
    assert _ids(client, "/api/v1/patents", t["university"]) == {c["patent"].id}
    assert _ids(client, "/api/v1/patents", t["enterprise"]) == set()
    assert foreign_patent.id in _ids(client, "/api/v1/patents", t["broker"])
    # A candidate pair is invisible to the parties until a broker recommends it.
    assert _ids(client, "/api/v1/matches", t["enterprise"]) == set()
    for path in (f"/api/v1/needs/{foreign_need.id}", f"/api/v1/matches/{c['match'].id}",
                 f"/api/v1/patents/{foreign_patent.id}"):
        answer = client.get(path, headers=bearer(t["enterprise"]))
        assert answer.status_code == 404 and "title" not in answer.get_json().get("detail", "")


def test_recommended_pair_is_shown_to_both_parties_without_contacts(app):
    c = cast_with_tokens()
    client, t = app.test_client(), c["tokens"]
    c["patent"].contact_note = "王老师 13800000000"
    db.session.commit()
    match_id = c["match"].id
    etag = client.get(f"/api/v1/matches/{match_id}", headers=bearer(t["broker"])).headers["ETag"]
    moved = client.post(f"/api/v1/matches/{match_id}/moves", json={"to": "recommended"},
                        headers={**bearer(t["broker"]), "If-Match": etag})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["status"] == "recommended"
    assert _ids(client, "/api/v1/matches?status=recommended", t["enterprise"]) == {match_id}
    assert _ids(client, "/api/v1/matches?status=recommended", t["university"]) == {match_id}
    assert _ids(client, "/api/v1/patents", t["enterprise"]) == {c["patent"].id}
    assert _ids(client, "/api/v1/needs", t["university"]) == {c["need"].id}
    seen = client.get(f"/api/v1/patents/{c['patent'].id}", headers=bearer(t["enterprise"]))
    assert seen.status_code == 200 and seen.get_json()["contact_note"] is None
    own = client.get(f"/api/v1/patents/{c['patent'].id}", headers=bearer(t["university"]))
    assert own.get_json()["contact_note"] == "王老师 13800000000"
    detail = client.get(f"/api/v1/matches/{match_id}", headers=bearer(t["enterprise"])).get_json()
    assert detail["allowed_moves"] == [] and detail["explanation"]["shared_terms"]


def test_only_brokers_in_scope_and_admins_move_pairs(app):
    c = cast_with_tokens()
    c["match"].broker_id = c["broker"].id
    db.session.commit()
    client, t = app.test_client(), c["tokens"]
    path = f"/api/v1/matches/{c['match'].id}/moves"
    body = {"to": "recommended"}
    assert client.post(path, json=body, headers=bearer(t["enterprise"])).status_code == 404
    assert client.post(path, json=body, headers=bearer(t["other_broker"])).status_code == 404
    assert client.post(path, json=body, headers=bearer(t["broker"])).status_code == 200
    c["match"].status = MatchStatus.RECOMMENDED
    db.session.commit()
    # The enterprise now sees the pair, but still may not move it.
    answer = client.post(path, json={"to": "contacted"}, headers=bearer(t["enterprise"]))
    assert answer.status_code == 403


def test_create_and_edit_rights_follow_the_portal(app):
    c = cast_with_tokens()
    client, t = app.test_client(), c["tokens"]
    need = {"title": "风电叶片回收需求", "description": "希望回收退役风电叶片中的玻璃纤维。"}
    assert client.post("/api/v1/needs", json=need, headers=bearer(t["broker"])).status_code == 403
    assert client.post("/api/v1/needs", json=need,
                       headers=bearer(t["university"])).status_code == 403
    made = client.post("/api/v1/needs", json=need, headers=bearer(t["enterprise"]))
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["enterprise"]["id"] == c["enterprise_org"].id
    stolen = client.post("/api/v1/needs", json={**need, "enterprise_id": 999},
                         headers=bearer(t["enterprise"]))
    assert stolen.status_code == 403
    patent = {"publication_number": "CN119000001A", "title": "一种叶片回收方法",
              "abstract": "本发明公开了一种风电叶片回收方法。", "ipc_codes": ["B29B 17/02"]}
    assert client.post("/api/v1/patents", json=patent,
                       headers=bearer(t["enterprise"])).status_code == 403
    listed = client.post("/api/v1/patents", json=patent, headers=bearer(t["university"]))
    assert listed.status_code == 201, listed.get_data(as_text=True)
    need_id = c["need"].id
    patch = {"title": "新标题"}
    assert client.patch(f"/api/v1/needs/{need_id}", json=patch,
                        headers=bearer(t["broker"])).status_code == 403
    edited = client.patch(f"/api/v1/needs/{need_id}", json=patch, headers=bearer(t["enterprise"]))
    assert edited.status_code == 200 and edited.get_json()["title"] == "新标题"
    closed = client.post(f"/api/v1/needs/{need_id}/status", json={"status": "closed"},
                         headers=bearer(t["enterprise"]))
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


def test_notifications_are_the_callers_own(app):
    from matchmaker.services import notify

    a = f.user(Role.BROKER)
    b = f.user(Role.BROKER)
    mine = notify.notify(a, "test", "给 a 的通知")
    theirs = notify.notify(b, "test", "给 b 的通知")
    db.session.commit()
    client, secret = app.test_client(), token_for(a)
    assert _ids(client, "/api/v1/notifications", secret) == {mine.id}
    assert client.post(f"/api/v1/notifications/{theirs.id}/read",
                       headers=bearer(secret)).status_code == 404
    read = client.post(f"/api/v1/notifications/{mine.id}/read", headers=bearer(secret))
    assert read.status_code == 200 and read.get_json()["read_at"]


def test_events_follow_the_event_rules(app):
    from datetime import date, timedelta

    from matchmaker.records import EventStatus, ReleaseEvent

    c = cast_with_tokens()
    past = ReleaseEvent(number="E-1", name="往届发布会", held_on=date.today() - timedelta(days=30),
                        status=EventStatus.HELD)
    soon = ReleaseEvent(number="E-2", name="新材料专场", held_on=date.today() + timedelta(days=9))
    db.session.add_all([past, soon])
    db.session.commit()
    client, t = app.test_client(), c["tokens"]
    assert _ids(client, "/api/v1/events", t["enterprise"]) == {soon.id}
    assert _ids(client, "/api/v1/events", t["broker"]) == {soon.id, past.id}
    assert client.get(f"/api/v1/events/{past.id}",
                      headers=bearer(t["enterprise"])).status_code == 404


def test_search_stores_nothing_and_returns_only_visible_records(app):
    from sqlalchemy import func, select

    from matchmaker.records import Match

    c = cast_with_tokens()
    f.patent("一种风电叶片回收方法", owner=f.org(OrgKind.UNIVERSITY))
    db.session.commit()
    client, t = app.test_client(), c["tokens"]
    body = {"text": "稀土永磁材料 钕铁硼", "k": 5}
    broker = client.post("/api/v1/search/patents", json=body, headers=bearer(t["broker"]))
    assert broker.status_code == 200, broker.get_data(as_text=True)
    assert c["patent"].id in [hit["patent"]["id"] for hit in broker.get_json()["items"]]
    enterprise = client.post("/api/v1/search/patents", json=body, headers=bearer(t["enterprise"]))
    assert enterprise.get_json()["items"] == []  # nothing recommended to it yet
    university = client.post("/api/v1/search/needs", json={"text": "钕铁硼 降本"},
                             headers=bearer(t["university"]))
    assert university.status_code == 200 and university.get_json()["items"] == []
    assert db.session.scalar(select(func.count(Match.id))) == 1  # search stored no pairs


def test_parties_get_no_scores_and_no_owner_of_a_brokers_only_need(app):
    """The portal's rules through the API (QA pass 3): enterprises and universities see no
    score, rank, band, channel scores or rule weights of a pair, and who posted a brokers-only
    need only when it is theirs."""
    c = cast_with_tokens()
    client, t = app.test_client(), c["tokens"]
    need, match = c["need"], c["match"]
    need.confidentiality = Confidentiality.BROKERS
    need.external_ref, need.region_county = "QA3-XQ-028", "康巴什区"
    match.status, match.calibrated = MatchStatus.RECOMMENDED, 93
    match.explanation = {"fused": 0.93, "rules": [{"rule": "same_region", "delta": 0.03}],
                         "shared_terms": ["钕铁硼"],
                         "closest_sentences": [{"text": "一种钕铁硼磁体", "score": 0.81}]}
    db.session.commit()
    for role in ("enterprise", "university"):
        detail = client.get(f"/api/v1/matches/{match.id}", headers=bearer(t[role])).get_json()
        assert (detail["score"], detail["rank"], detail["calibrated_score"], detail["band"]) == (
            None, None, None, None)
        assert detail["channel_scores"] == {}
        assert detail["explanation"] == {"shared_terms": ["钕铁硼"],
                                         "closest_sentences": [{"text": "一种钕铁硼磁体"}]}
        [listed] = client.get("/api/v1/matches?status=recommended",
                              headers=bearer(t[role])).get_json()["items"]
        assert listed["score"] is None and listed["calibrated_score"] is None
    broker = client.get(f"/api/v1/matches/{match.id}", headers=bearer(t["admin"])).get_json()
    assert broker["calibrated_score"] == 93 and broker["band"] == "high"
    assert broker["explanation"]["rules"] and broker["score"] is not None
    seen = client.get(f"/api/v1/needs/{need.id}", headers=bearer(t["university"])).get_json()
    assert (seen["enterprise"], seen["external_ref"], seen["region_county"]) == (None, None, None)
    own = client.get(f"/api/v1/needs/{need.id}", headers=bearer(t["enterprise"])).get_json()
    assert own["enterprise"]["id"] == need.enterprise_id and own["external_ref"] == "QA3-XQ-028"


def test_matches_filter_on_the_calibrated_score_as_the_portal(app):
    c = cast_with_tokens()
    client, t = app.test_client(), c["tokens"]
    c["match"].calibrated = 64
    db.session.commit()
    assert _ids(client, "/api/v1/matches?calibrated_min=60", t["admin"]) == {c["match"].id}
    assert _ids(client, "/api/v1/matches?calibrated_min=70", t["admin"]) == set()
    assert _ids(client, "/api/v1/matches?calibrated_max=64", t["admin"]) == {c["match"].id}
    answer = client.get("/api/v1/matches?calibrated_min=101", headers=bearer(t["admin"]))
    assert answer.status_code in (400, 422)
