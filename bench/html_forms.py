"""The fields of a portal form, read from a page as a browser would post them (the load test
and the page-CPU bench both fill forms with their CSRF tokens this way)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    """The fields of the first form whose action contains ``marker``, with their values."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.inside, self.fields, self._select = marker, False, {}, None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or ""  # empty: the form posts to its own page
            self.inside = (not action or self.marker in action) and not self.fields
            self.inside = self.inside and (a.get("method") or "get").lower() == "post"
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox"):
            self.fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and (self._select not in self.fields
                                                  or "selected" in a):
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields.setdefault(a["name"], "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, marker: str) -> dict:
    parser = _Form(marker)
    parser.feed(html)
    return parser.fields

