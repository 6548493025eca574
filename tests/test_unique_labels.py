"""Labels unique per page (issue 10, point 8): on every page of every role, no two form controls
share the same visible label, so a screen reader's form list names each one apart."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from flask import g

from tests.browser.seed import PASSWORD, seed
from tests.browser.test_phone_widths import pages

ROLES = [None, "e2e-broker", "e2e-enterprise", "e2e-university", "e2e-admin"]
CONTROLS = {"input", "select", "textarea"}
UNLABELLED = {"hidden", "submit", "button", "reset", "image"}


class Labels(HTMLParser):
    """The accessible name of each control: aria-label, else its <label for>, else the label
    around it (text only, as a person hears it)."""

    def __init__(self):
        super().__init__()
        self.controls: list[tuple[str | None, str | None, str | None]] = []  # id, aria, wrapper
        self.for_text: dict[str, str] = {}
        self.stack: list[dict] = []  # open <label>s

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.stack.append({"for": a.get("for"), "text": "", "controls": []})
        elif tag in CONTROLS and a.get("type", "text") not in UNLABELLED and "hidden" not in a:
            entry = [a.get("id"), a.get("aria-label"), None]
            self.controls.append(entry)
            if self.stack:
                self.stack[-1]["controls"].append(entry)

    def handle_endtag(self, tag):
        if tag == "label" and self.stack:
            label = self.stack.pop()
            text = " ".join(label["text"].split())
            if label["for"]:
                self.for_text[label["for"]] = text
            for entry in label["controls"]:
                entry[2] = text

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"] += data

    def names(self) -> list[str]:
        out = []
        for control_id, aria, wrapper in self.controls:
            name = aria or (self.for_text.get(control_id) if control_id else None) or wrapper
            if name:
                out.append(name)
        return out


def duplicates(html: str) -> list[str]:
    parser = Labels()
    parser.feed(html)
    return sorted(name for name, n in Counter(parser.names()).items() if n > 1)


def test_the_parser_finds_a_repeated_label():
    html = ('<label for="a">Title</label><input id="a"><label>Title <input name="b"></label>'
            '<input aria-label="Search"><select aria-label="Sort"></select><input type="hidden">')
    assert duplicates(html) == ["Title"]


@pytest.fixture
def world(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    return seed()


@pytest.mark.parametrize("username", ROLES, ids=lambda u: u or "anonymous")
def test_no_page_has_two_controls_with_one_label(app, world, username):
    client = app.test_client()
    if username:
        answer = client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 302
    checked, repeated = 0, {}
    for path in pages(app, world):
        answer = client.get(path)
        if answer.status_code != 200 or "text/html" not in answer.content_type:
            continue
        checked += 1
        found = duplicates(answer.get_data(as_text=True))
        if found:
            repeated[path] = found
    print(f"\n{username or 'anonymous'}: {checked} pages, {len(repeated)} with a repeated label")
    for path, names in repeated.items():
        print("  ", path, names)
    assert checked > 5
    assert repeated == {}
