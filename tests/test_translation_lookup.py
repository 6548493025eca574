"""The catalogue is looked up once per locale and request (matchmaker.extensions._Domain), and
still follows every change of locale inside a request."""

from __future__ import annotations

import re

from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from matchmaker.extensions import babel


def test_one_request_switches_language_with_force_locale_and_refresh(app):
    with app.test_request_context("/"):
        assert gettext("Review queue") == "待审队列"
        first = babel.domain_instance.get_translations()
        assert babel.domain_instance.get_translations() is first  # the memo answers
        with force_locale("en"):
            assert gettext("Review queue") == "Review queue"
            assert str(lazy_gettext("Review queue")) == "Review queue"
            assert render_template_string("{{ _('Review queue') }}") == "Review queue"
        assert gettext("Review queue") == "待审队列"
        assert render_template_string("{{ _('Review queue') }}") == "待审队列"
        refresh()
        assert gettext("Review queue") == "待审队列"


def _page(client, url: str) -> str:
    """The page without its CSRF token, which carries a timestamp: two requests a second
    apart differ there (this test failed now and then on a slow machine)."""
    return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", client.get(url).text)


def test_each_request_uses_its_own_language(client):
    english = _page(client, "/auth/login?lang=en")
    chinese = _page(client, "/auth/login")
    assert "Log in" in english and "Log in" not in chinese
    assert _page(client, "/auth/login?lang=en") == english
