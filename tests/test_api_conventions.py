"""API conventions: problem+json, validation field errors, ETags, idempotency keys, limits."""

from __future__ import annotations

from sqlalchemy import func, select, update

from matchmaker.extensions import db
from matchmaker.records import Need, Patent, Role
from tests import factories as f
from tests.api_support import bearer, cast_with_tokens, token_for

PROBLEM = "application/problem+json"
NEED = {"title": "烧结钕铁硼降本", "description": "希望降低重稀土用量。"}


def _ent(db_app):
    user = f.user(Role.ENTERPRISE)
    return db_app.test_client(), bearer(token_for(user))


def test_errors_are_problem_documents(db_app):
    client, auth = _ent(db_app)
    for method, path, status in (("get", "/api/v1/needs/999", 404),
                                 ("get", "/api/v1/nowhere", 404),
                                 ("put", "/api/v1/needs", 405),
                                 ("get", "/api/v1/needs/99999999999999999999", 404)):
        answer = getattr(client, method)(path, headers=auth)
        assert answer.status_code == status, (path, answer.status_code)
        assert answer.content_type == PROBLEM
        body = answer.get_json()
        assert body["status"] == status and body["title"] and body["instance"] == path


def test_validation_errors_name_the_fields_and_write_nothing(db_app):
    client, auth = _ent(db_app)
    answer = client.post("/api/v1/needs", json={"title": "", "colour": "red"}, headers=auth)
    assert answer.status_code == 422 and answer.content_type == PROBLEM
    fields = {e["field"] for e in answer.get_json()["errors"]}
    assert {"title", "description", "colour"} <= fields
    html = client.post("/api/v1/needs", json={**NEED, "title": "<script>x</script>"},
                       headers=auth)
    assert html.status_code == 422 and html.get_json()["errors"][0]["field"] == "title"
    bad_cursor = client.get("/api/v1/needs?cursor=!!", headers=auth)
    assert bad_cursor.status_code == 400 and bad_cursor.content_type == PROBLEM
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_non_json_and_malformed_bodies_are_refused(db_app):
    client, auth = _ent(db_app)
    form = client.post("/api/v1/needs", data={"title": "t"}, headers=auth)
    assert form.status_code == 415 and form.content_type == PROBLEM
    broken = client.post("/api/v1/needs", data=b'{"title": ', headers={
        **auth, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.content_type == PROBLEM
    nested = client.post("/api/v1/needs", data=b"[" * 1000 + b"]" * 1000, headers={
        **auth, "Content-Type": "application/json"})  # deeper than the parser's stack
    assert nested.status_code == 400 and nested.content_type == PROBLEM
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_patent_numbers_fold_width_and_text_refuses_control_characters(db_app):
    """Full-width digits name the same patent; null cannot un-set dormant; BEL/ESC refused."""
    university = f.user(Role.UNIVERSITY)
    taken = f.patent(number="CN400000001A", owner=university.organization, dormant=True)
    db.session.commit()
    client, auth = db_app.test_client(), bearer(token_for(university))
    body = {"title": "一种方法", "abstract": "本发明公开了一种方法。"}
    twin = client.post("/api/v1/patents", json={**body, "publication_number": "CN４０００００００１A"},
                       headers=auth)
    assert twin.status_code == 422 and twin.get_json()["errors"][0]["field"] == "publication_number"
    bell = client.post("/api/v1/patents", json={**body, "publication_number": "CN400000002A",
                                                 "title": "一种\x07方法\x1b"}, headers=auth)
    assert bell.status_code == 422 and bell.get_json()["errors"][0]["field"] == "title"
    blank = client.post("/api/v1/patents", json={**body, "publication_number": "CN400000003A",
                                                  "title": "\u200b\u2060"}, headers=auth)
    assert blank.status_code == 422 and blank.get_json()["errors"][0]["field"] == "title"
    path = f"/api/v1/patents/{taken.id}"
    etag = client.get(path, headers=auth).headers["ETag"]
    null = client.patch(path, json={"dormant": None}, headers={**auth, "If-Match": etag})
    assert null.status_code == 422
    db.session.expire_all()
    assert taken.dormant is True
    assert db.session.scalar(select(func.count(Patent.id))) == 1


def test_oversized_body_is_refused_with_413(db_app):
    db_app.config["API_MAX_JSON_BYTES"] = 1000
    client, auth = _ent(db_app)
    answer = client.post("/api/v1/needs", json={**NEED, "description": "长" * 2000},
                         headers=auth)
    assert answer.status_code == 413 and answer.content_type == PROBLEM


def test_etag_if_match_conflict_gives_412_and_keeps_the_record(db_app):
    client, auth = _ent(db_app)
    made = client.post("/api/v1/needs", json=NEED, headers=auth)
    path = made.headers["Location"]
    etag = client.get(path, headers=auth).headers["ETag"]
    assert client.get(path, headers={**auth, "If-None-Match": etag}).status_code == 304
    first = client.patch(path, json={"title": "第一次修改"}, headers={**auth, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = client.patch(path, json={"title": "过期的修改"}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412 and stale.content_type == PROBLEM
    assert client.get(path, headers=auth).get_json()["title"] == "第一次修改"


def test_stale_move_of_a_pair_gives_412(db_app):
    c = cast_with_tokens()
    client, auth = db_app.test_client(), bearer(c["tokens"]["broker"])
    path = f"/api/v1/matches/{c['match'].id}"
    etag = client.get(path, headers=auth).headers["ETag"]
    ok = client.post(path + "/moves", json={"to": "recommended"},
                     headers={**auth, "If-Match": etag})
    assert ok.status_code == 200
    again = client.post(path + "/moves", json={"to": "rejected", "rejection_reason": "too_early"},
                        headers={**auth, "If-Match": etag})
    assert again.status_code == 412
    wrong = client.post(path + "/moves", json={"to": "registered"}, headers=auth)
    assert wrong.status_code == 409 and wrong.content_type == PROBLEM


def test_idempotency_key_replays_and_refuses_another_body(db_app):
    client, auth = _ent(db_app)
    headers = {**auth, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/needs", json=NEED, headers=headers)
    again = client.post("/api/v1/needs", json=NEED, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count(Need.id))) == 1
    other = client.post("/api/v1/needs", json={**NEED, "title": "另一个"}, headers=headers)
    assert other.status_code == 422 and other.content_type == PROBLEM
    assert db.session.scalar(select(func.count(Need.id))) == 1
    # Keys belong to a token: another token's same key is a new request.
    other_auth = bearer(token_for(db.session.get(Need, first.get_json()["id"]).created_by))
    fresh = client.post("/api/v1/needs", json=NEED, headers={**other_auth, "Idempotency-Key": "k-1"})
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers


def test_idempotency_keys_expire_after_a_day(db_app):
    from datetime import timedelta

    from matchmaker.records import IdempotencyKey, utcnow

    client, auth = _ent(db_app)
    headers = {**auth, "Idempotency-Key": "old"}
    assert client.post("/api/v1/needs", json=NEED, headers=headers).status_code == 201
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    again = client.post("/api/v1/needs", json=NEED, headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 1  # the old one purged


def test_rate_limit_per_token_with_headers(db_app):
    db_app.config["API_RATE_LIMIT"] = "3/minute"
    client, auth = _ent(db_app)
    answers = [client.get("/api/v1/needs", headers=auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Policy"] == '"token";q=3;w=60'
    assert answers[1].headers["RateLimit"].startswith('"token";r=1;')
    assert answers[3].content_type == PROBLEM and answers[3].headers["Retry-After"]
    _other_client, other_auth = _ent(db_app)  # another token has its own budget
    assert client.get("/api/v1/needs", headers=other_auth).status_code == 200


def test_openapi_document_and_offline_reference_page(db_app):
    client = db_app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/v1/needs", "/api/v1/matches/{match_id}/moves", "/api/v1/search/patents",
            "/api/v1/imports/{kind}", "/api/v1/events/{event_id}"} <= set(doc["paths"])
    errors = doc["paths"]["/api/v1/needs"]["get"]["responses"]["401"]["content"]
    assert list(errors) == [PROBLEM]
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/needs" in html
    assert "<script" not in html and "style=" not in html and "https://" not in html.split(
        "<main", 1)[1].replace("https://matchmaker.example", "")


def test_match_cursor_pages_walk_the_queue_order_without_gaps_or_repeats(app):
    """Cursor pages of /matches follow the queue's order (calibrated score, pairs without one
    last, then fused score, then id): every pair once, in the portal's order."""
    from matchmaker.records import Match, MatchStatus
    from matchmaker.services import queue
    from tests.api_support import cast_with_tokens
    from tests.pairs import pair

    c = cast_with_tokens()
    c["match"].calibrated = 60
    # calibrated order disagrees with the fused score on purpose; ties and missing values
    for calibrated, score in [(90, 0.3), (60, 0.9), (60, 0.9), (60, 0.2), (None, 0.99),
                              (None, 0.5), (75, 0.1), (55, 0.95), (None, 0.5)]:
        pair(score=score, calibrated=calibrated)
    db.session.commit()
    client, auth = app.test_client(), {"Authorization": f"Bearer {c['tokens']['admin']}"}
    seen, cursor = [], None
    for _ in range(20):
        url = "/api/v1/matches?limit=2&weak=true" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(url, headers=auth)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    filters = queue.QueueFilters(statuses=(MatchStatus.CANDIDATE,), weak=True)
    expected = [m.id for m in db.session.scalars(queue.queue_select(c["admin"], filters))]
    assert len(expected) == 10 and seen == expected
    first = db.session.get(Match, seen[0])
    assert first.calibrated == 90
