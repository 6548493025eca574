"""Out-of-range ids and page numbers, and control characters in ``next`` (issue 14, point 8)."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.pairs import cast, client_as

HUGE = 2**63
LIST_PAGES = ["/needs/", "/patents/", "/admin/users", "/admin/organizations", "/admin/audit",
              "/queue/", "/recommendations/", "/events/", "/revival/", "/notifications/"]


def _sample(converter) -> str:
    """A value the converter accepts (``any(a, b)`` segments take one of theirs)."""
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        ints = [k for k, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if ints:
            values = {k: (HUGE if k in ints else _sample(rule._converters.get(k)))
                      for k in rule.arguments}
            yield rule, values


def test_every_int_route_answers_404_for_ids_beyond_64_bits(app):
    cast()
    admin = client_as(app, "admin1")
    tried = 0
    for rule, values in _int_routes(app):
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = admin.open(url, method=method)
            # werkzeug answers 405 when a sibling rule of another method exists (API routes).
            expected = (404, 405) if url.startswith("/api/") else (404,)
            assert response.status_code in expected, (method, url, response.status_code)
            tried += 1
    assert tried >= 40


def test_huge_page_numbers_never_500(app):
    cast()
    clients = [client_as(app, name) for name in ("admin1", "broker1", "uni1", "ent1")]
    for path in LIST_PAGES:
        for page in (str(HUGE), str(10**30), "-" + str(HUGE)):
            for client in clients:
                response = client.get(f"{path}?page={page}")
                assert response.status_code in (200, 302, 403, 404), (path, page)


@pytest.mark.parametrize("query", [f"/admin/audit?actor={HUGE}", f"/pipeline/?broker={HUGE}",
                                   f"/needs/?k={HUGE}"])
def test_huge_integer_filters_never_500(app, query):
    cast()
    response = client_as(app, "admin1").get(query)
    assert response.status_code in (200, 400, 404), response.status_code


def test_bulk_action_with_huge_ids_is_refused_cleanly(app):
    cast()
    response = client_as(app, "broker1").post("/queue/bulk", data={
        "ids": [str(HUGE)], "action": "reject"})
    assert response.status_code in (302, 400, 404), response.status_code


@pytest.mark.parametrize("target", ["/queue/\r\nSet-Cookie: x=1", "/queue/%0d%0a", "/\x00x",
                                    "/queue/\tx", "/queue/\x7f"])
def test_next_with_control_characters_falls_back_home(app, target):
    cast()
    client = client_as(app, None)
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": "broker1", "password": "password-123"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
