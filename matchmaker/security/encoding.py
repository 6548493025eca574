"""Form posts must be UTF-8.

Every page declares UTF-8 and browsers send its forms so, but an old client or a script may
post GBK. Werkzeug then keeps the undecodable bytes of a urlencoded form as percent-escapes
("%D6%D0") and those of a multipart form as replacement characters, and either would be stored
as the record's text. Such a post is refused with one clear message instead; nothing is saved.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import gettext as _

from ..errors import ValidationError

_WRITES = frozenset({"POST", "PUT", "PATCH"})
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def form_is_utf8() -> bool:
    """True unless the request is a form whose text is not UTF-8."""
    if request.method not in _WRITES:
        return True
    if request.mimetype == URLENCODED:
        raw = request.get_data(cache=True)  # the form parser reads the cached body afterwards
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if request.mimetype == MULTIPART:  # text parts were decoded with replacement characters
        return not any("\ufffd" in value for _key, values in request.form.lists()
                       for value in values)
    return True


def install(app: Flask) -> None:
    @app.before_request
    def refuse_forms_not_in_utf8():
        if not form_is_utf8():
            raise ValidationError(_("The form was not sent as UTF-8 text, so it was not saved. "
                                    "Send it again from this site's page (or as UTF-8)."))
