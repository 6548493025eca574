"""Per-user rate limits on expensive endpoints, answered with a translated 429 (point 10)."""

from __future__ import annotations

import pytest

from tests.pairs import cast, client_as


@pytest.fixture
def people(app):
    app.config["RATELIMIT_EXPENSIVE"] = "3 per minute"
    return cast()


def test_expensive_endpoints_share_one_per_user_limit(people, app):
    broker = client_as(app, "broker1")
    need_id, patent_id = people["need"].id, people["patent"].id
    for path in (f"/needs/{need_id}/matches?k=50", "/needs/export.csv",
                 f"/patents/{patent_id}/matches"):
        assert broker.get(path).status_code == 200, path
    response = broker.get("/patents/export.xlsx")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "请求过于频繁" in html
    assert "Retry-After" in response.headers
    # Other users keep their own allowance; cheap pages stay open to the limited user.
    assert client_as(app, "broker2").get("/needs/export.csv").status_code == 200
    assert broker.get("/queue/").status_code == 200


def test_plain_lists_are_not_counted_but_semantic_search_is(people, app):
    broker = client_as(app, "broker1")
    for _ in range(5):
        assert broker.get("/needs/?q=磁体").status_code == 200
    statuses = [broker.get("/patents/?q=磁体&semantic=1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
