"""A form posted in another encoding than UTF-8 (GBK from an old client) is refused with a
clear message and nothing is stored; it was once saved as percent-escapes ("%D6%D0") or as
replacement characters."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import Need, Role
from tests import factories as f
from tests.pairs import client_as
from tests.test_input_limits import need_form

REFUSAL = "表单不是以 UTF-8 编码发送的，未保存。"


def _enterprise_client(app):
    user = f.user(Role.ENTERPRISE, username="ent-encoding")
    db.session.commit()
    return client_as(app, user.username)


def _needs() -> int:
    return db.session.scalar(select(func.count(Need.id)))


def _urlencoded(data: dict, encoding: str) -> bytes:
    return "&".join(f"{quote(k)}={quote(v, encoding=encoding)}" for k, v in data.items()).encode()


def test_a_gbk_urlencoded_form_is_refused_and_nothing_is_stored(app):
    client = _enterprise_client(app)
    response = client.post("/needs/new", data=_urlencoded(need_form(), "gbk"),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert REFUSAL in response.text
    assert _needs() == 0


def test_a_gbk_multipart_form_is_refused_and_nothing_is_stored(app):
    client = _enterprise_client(app)
    boundary = "b0undary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
        + v.encode("gbk") + b"\r\n" for k, v in need_form().items()) + f"--{boundary}--\r\n".encode()
    response = client.post("/needs/new", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert REFUSAL in response.text
    assert _needs() == 0


def test_the_same_form_in_utf8_is_stored_as_written(app):
    client = _enterprise_client(app)
    response = client.post("/needs/new", data=_urlencoded(need_form(), "utf-8"),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert db.session.scalar(select(Need.title)) == need_form()["title"]
