"""Search boxes say how much they take, and the list keeps all of it.

A long paste into a GET search box becomes the URL: past about 4 KB gunicorn answers a bare
"414 URI Too Long" page. Each box's ``maxlength`` stops that in the browser, and the list keeps
everything a box can send (it never silently cuts a query the box allowed).
"""

from __future__ import annotations

import re

import pytest

from matchmaker.records import Role
from tests import factories as f
from tests.pairs import client_as

PAGES = [("/patents/", Role.BROKER), ("/needs/", Role.BROKER), ("/showcase/", None),
         ("/admin/users", Role.ADMIN), ("/admin/organizations", Role.ADMIN)]


@pytest.mark.parametrize("path, role", PAGES)
def test_every_text_box_of_a_search_form_has_a_limit_the_list_keeps(db_app, path, role):
    user = f.user(role) if role else None
    from matchmaker.extensions import db

    db.session.commit()
    client = client_as(db_app, user.username if user else None)
    html = client.get(path).get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="get".*?</form>', html, re.S)
    boxes = [box for form in forms for box in
             re.findall(r'<input[^>]*type="(?:search|text)"[^>]*>', form)]
    assert boxes, path
    for box in boxes:
        name = re.search(r'name="([^"]+)"', box).group(1)
        limit = re.search(r'maxlength="(\d+)"', box)
        assert limit, (path, box)
        n = int(limit.group(1))
        assert 9 * n < 4000, (path, name, n)  # a Chinese character is 9 bytes in the URL
        text = "钕" * n
        page = client.get(path, query_string={name: text}).get_data(as_text=True)
        assert f'value="{text}"' in page, (path, name, n)
