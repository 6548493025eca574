"""One record open in two tabs (or by two people): no change is lost without a word.

Each tab posts what a browser would post from the page it was shown (every field, its hidden
``seen`` included), with one field changed.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from matchmaker.extensions import db
from matchmaker.portal import edit_conflicts
from matchmaker.records import Need, OrgKind, Patent, Role
from tests import factories as f
from tests.pairs import client_as


class _FormReader(HTMLParser):
    """The fields of the page's main form as a browser posts them (checked boxes included)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._inside = self._done = False
        self._select = self._textarea = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and (a.get("method") or "").lower() == "post" \
                and "novalidate" in a:
            self._inside = True
        elif not self._inside:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type") or "text"
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value") or "y")
            elif kind != "submit":
                self._add(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value") or "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._add(self._textarea, "")

    def handle_data(self, data):
        if self._inside and self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._inside:
            self._inside, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def shown(client, url: str) -> dict[str, list[str]]:
    """The edit form of ``url`` as its page shows it (a tab opened now)."""
    reader = _FormReader()
    reader.feed(client.get(url).get_data(as_text=True))
    assert "seen" in reader.fields and reader.fields["seen"][0]
    return reader.fields


def post(client, url: str, fields: dict[str, list[str]], **changed):
    data = {**fields, **{k: [v] for k, v in changed.items()}}
    # a browser sends a textarea's line ends as CRLF
    data = {k: [v.replace("\n", "\r\n") for v in vs] for k, vs in data.items()}
    return client.post(url, data=data)


@pytest.fixture
def ours(app):
    uni = f.org(OrgKind.UNIVERSITY, "内蒙古科技大学")
    f.user(Role.UNIVERSITY, uni, username="uni1")
    patent = f.patent("一种稀土永磁材料的制备方法", owner=uni,
                      abstract="本发明公开了一种稀土永磁材料的制备方法。\n第二段。")
    ent = f.org(OrgKind.ENTERPRISE, "包头钢铁")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    need = f.need("需要高矫顽力磁体", enterprise=ent)
    db.session.commit()
    return {"patent": patent.id, "need": need.id, "app": app}


def stored(model, record_id):
    db.session.expire_all()
    return db.session.get(model, record_id)


def test_two_tabs_changing_different_fields_of_a_patent_keep_both_changes(ours):
    url = f"/patents/{ours['patent']}/edit"
    tab1, tab2 = client_as(ours["app"], "uni1"), client_as(ours["app"], "uni1")
    first, second = shown(tab1, url), shown(tab2, url)
    assert post(tab1, url, first, title="一种高性能稀土永磁材料的制备方法").status_code == 302
    answer = post(tab2, url, second, abstract="新的摘要：晶界扩散降低重稀土用量。")
    assert answer.status_code == 302
    patent = stored(Patent, ours["patent"])
    assert patent.title == "一种高性能稀土永磁材料的制备方法"  # the first tab's change stays
    assert patent.abstract == "新的摘要：晶界扩散降低重稀土用量。"


def test_two_tabs_changing_the_same_field_the_second_is_told_and_may_overwrite(ours):
    url = f"/patents/{ours['patent']}/edit"
    tab1, tab2 = client_as(ours["app"], "uni1"), client_as(ours["app"], "uni1")
    first, second = shown(tab1, url), shown(tab2, url)
    assert post(tab1, url, first, title="甲的标题").status_code == 302
    answer = post(tab2, url, second, title="乙的标题")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "其他人修改了此项，现在保存的是：“甲的标题”" in html
    assert 'value="乙的标题"' in html  # what the second tab typed is kept
    assert stored(Patent, ours["patent"]).title == "甲的标题"  # nothing saved yet
    # saving the page as shown again replaces the first tab's title deliberately
    reader = _FormReader()
    reader.feed(html)
    assert post(tab2, url, reader.fields).status_code == 302
    assert stored(Patent, ours["patent"]).title == "乙的标题"


def test_an_untouched_multiline_text_is_no_change_of_this_tab(ours):
    """The abstract comes back with CRLF line ends: that alone is no edit that would clash."""
    url = f"/patents/{ours['patent']}/edit"
    tab1, tab2 = client_as(ours["app"], "uni1"), client_as(ours["app"], "uni1")
    first, second = shown(tab1, url), shown(tab2, url)
    assert post(tab1, url, first, abstract="甲改了摘要。").status_code == 302
    assert post(tab2, url, second, technical_field="新材料").status_code == 302
    patent = stored(Patent, ours["patent"])
    assert (patent.abstract, patent.technical_field) == ("甲改了摘要。", "新材料")


def test_two_tabs_on_a_need_merge_and_clash_the_same_way(ours):
    url = f"/needs/{ours['need']}/edit"
    tab1, tab2, tab3 = (client_as(ours["app"], "ent1") for _ in range(3))
    first, second, third = shown(tab1, url), shown(tab2, url), shown(tab3, url)
    assert post(tab1, url, first, title="需要高矫顽力低重稀土磁体").status_code == 302
    assert post(tab2, url, second, technical_field="稀土永磁").status_code == 302
    need = stored(Need, ours["need"])
    assert (need.title, need.technical_field) == ("需要高矫顽力低重稀土磁体", "稀土永磁")
    clash = post(tab3, url, third, title="丙的标题")
    assert clash.status_code == 200 and "需要高矫顽力低重稀土磁体" in clash.get_data(as_text=True)
    assert stored(Need, ours["need"]).title == "需要高矫顽力低重稀土磁体"


def test_a_form_without_what_it_showed_saves_as_before(ours):
    """A page from before this check (no ``seen``) is saved as it was posted."""
    url = f"/patents/{ours['patent']}/edit"
    tab = client_as(ours["app"], "uni1")
    fields = shown(tab, url)
    del fields["seen"]
    assert post(tab, url, fields, title="旧页面保存的标题").status_code == 302
    assert stored(Patent, ours["patent"]).title == "旧页面保存的标题"


def test_fingerprints_ignore_line_ends_and_order_of_choices():
    one = edit_conflicts.fingerprint({"abstract": "a\r\nb ", "modes": ["licence", "transfer"]})
    two = edit_conflicts.fingerprint({"abstract": "a\nb", "modes": ["transfer", "licence"]})
    assert one == two
    assert one != edit_conflicts.fingerprint({"abstract": "a\nc", "modes": ["transfer"]})

