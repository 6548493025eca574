"""QA pass B, what the server writes for the layout fixes: the audit log in the screen's
language (D14), events with nothing listed yet (D17), lists marked up as cards (D2), charts
readable on phones with Chinese punctuation (D8, D9) and ASCII punctuation on zh screens (D10).
The browser side is tests/browser/test_qa4_layout.py."""

from __future__ import annotations

import html
import re
from datetime import date

from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.portal.charts import TEXT, _text_width, bar_chart, funnel_chart, line_chart
from matchmaker.records import (
    AuditLog,
    EventPatent,
    LicenceMode,
    MatchStatus,
    ReleaseEvent,
    Role,
)
from tests import factories as f
from tests.pairs import client_as, pair


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- D14: the audit log ---------------------------------------------------------------------


def test_the_audit_log_names_actions_and_details_in_chinese_with_codes_as_tooltips(app):
    admin = f.user(Role.ADMIN, username="root")
    db.session.add_all([
        AuditLog(action="user_invite", actor_id=admin.id, target="user:9",
                 detail={"username": "qab-uni", "role": "university"}),
        AuditLog(action="match_move", actor_id=admin.id, target="match:3",
                 detail={"frm": "candidate", "to": "recommended"}),
        AuditLog(action="patent_listing", actor_id=admin.id, target="patent:4",
                 detail={"listed": False, "changed": ["display_name", "email"]}),
        AuditLog(action="match_feedback", actor_id=admin.id, detail={"feedback": "gone"}),
    ])
    db.session.commit()
    page = _text(client_as(app, "root").get("/admin/audit"))
    # labels, no raw code beside them (nor in a tooltip: the language walk reads titles)
    assert '<span data-code="user_invite">账号已创建</span>' in page
    assert "<code>user_invite</code>" not in page and "user_invite</td>" not in page
    assert '<span class="kv" data-code="username">用户名：qab-uni</span>' in page
    assert '<span class="kv" data-code="role">角色：高校用户</span>' in page
    assert "原阶段：待审" in page and "新阶段：已推荐" in page
    assert "挂牌中：否" in page and "修改的字段：显示名称、电子邮箱" in page
    assert "反馈：gone" in page  # an unknown code of an older version: as stored
    assert "university" not in page and "=qab-uni" not in page
    english = _text(client_as(app, "root").get("/admin/audit?lang=en"))
    assert "Role: University user" in english and "Previous stage: Candidate" in english


def test_an_unknown_action_filter_is_said_and_dropped_not_shown_as_all_over_nothing(app):
    admin = f.user(Role.ADMIN, username="root")
    db.session.add(AuditLog(action="org_create", actor_id=admin.id, target="organization:7"))
    db.session.commit()
    client = client_as(app, "root")
    page = _text(client.get("/admin/audit?action=nothing"))
    assert "日志中没有操作“nothing”，已显示全部记录。" in page
    assert "organization:7" in page  # every entry, as the filter ("全部") says
    assert not re.search(r'<option value="nothing"', page)
    # a known action nobody has done yet: chosen in the filter, over an empty list
    known = _text(client.get("/admin/audit?action=webhook_delete"))
    assert re.search(r'<option value="webhook_delete"\s*selected', known)
    assert "暂无记录。" in known and "日志中没有操作" not in known
    # an unknown user id: dropped the same way
    assert "organization:7" in _text(client.get("/admin/audit?actor=99999"))


# --- D2: lists are cards on phones ------------------------------------------------------------


def test_admin_lists_label_every_cell_for_the_phone_cards(app):
    f.user(Role.ADMIN, username="root")
    f.user(Role.BROKER, username="other")
    db.session.commit()
    client = client_as(app, "root")
    for url in ("/admin/users", "/admin/organizations", "/admin/audit", "/events/"):
        page = client.get(url).get_data(as_text=True)
        table = page[page.index('<table class="data cards'):page.index("</table>")]
        assert '<div class="table-box"><table class="data cards' in page, url
        for row in re.findall(r"<tr>.*?</tr>", table[table.index("<tbody>"):], re.S):
            if "colspan" in row:
                continue
            assert re.findall(r"<td(?![^>]*data-label)", row) == [], (url, row)


def test_the_need_and_patent_pages_list_their_pairs_as_cards_and_join_the_zh_way(app):
    f.user(Role.ADMIN, username="root")
    match = pair()
    match.patent.licensing_modes = [LicenceMode.TRANSFER, LicenceMode.ORDINARY]
    db.session.commit()
    client = client_as(app, "root")
    need = _text(client.get(f"/needs/{match.need_id}"))
    assert '<table class="data cards">' in need and 'data-label="专利"' in need
    patent = _text(client.get(f"/patents/{match.patent_id}"))
    assert '<table class="data cards">' in patent and 'data-label="需求"' in patent
    modes = re.search(r"许可方式</dt><dd>(.*?)</dd>", patent).group(1)
    assert sorted(modes.split("、")) == sorted(["转让", "普通许可"])  # not "转让, 普通许可"


# --- D17: an event with nothing yet ---------------------------------------------------------------


def _event(**kw) -> ReleaseEvent:
    event = ReleaseEvent(number=kw.pop("number", "QA-B-空场-001"), name=kw.pop("name", "QA空发布会"),
                         held_on=date(2027, 3, 15), **kw)
    db.session.add(event)
    db.session.commit()
    return event


def test_an_empty_event_offers_no_booklet_and_says_where_to_choose_patents(app):
    broker = f.user(Role.BROKER, username="b1")
    ent = f.user(Role.ENTERPRISE, username="e1")
    event = _event()
    client = client_as(app, broker.username)
    detail = _text(client.get(f"/events/{event.id}"))
    assert f"/events/{event.id}/booklet" not in detail.replace(f"/events/{event.id}/booklet\"", "")
    assert "booklet.pdf" not in detail
    assert f'<a href="/events/{event.id}/programme">去选择本场发布专利</a>' in detail
    invite = _text(client.get(f"/events/{event.id}/invite"))
    assert "待邀请企业根据本场发布专利查找，目前尚未选择发布专利。" in invite
    assert f'<a href="/events/{event.id}/programme">去选择本场发布专利</a>' in invite
    matches = _text(client.get(f"/events/{event.id}/matches"))
    assert '<p class="hint">QA-B-空场-001 · 2027年3月15日</p>' in matches  # no dangling "·"
    assert f'href="/events/{event.id}/invite">邀请企业</a>' in matches
    # the enterprise is told the programme is not ready, with no link it may not follow
    seen = _text(client_as(app, ent.username).get(f"/events/{event.id}"))
    assert "尚未选择发布专利：发布清单仍在准备中。" in seen and "/programme" not in seen


def test_an_event_with_patents_offers_its_booklet_and_labels_its_tables(app):
    f.user(Role.BROKER, username="b1")
    patent = f.patent()
    event = _event(venue="青山区")
    event.listings = [EventPatent(patent=patent, on_stage=True)]
    db.session.commit()
    client = client_as(app, "b1")
    detail = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "booklet.pdf" in detail and 'data-label="权利人"' in detail
    matches = _text(client.get(f"/events/{event.id}/matches"))
    assert '<p class="hint">QA-B-空场-001 · 2027年3月15日 · 青山区</p>' in matches
    programme = _text(client.get(f"/events/{event.id}/programme"))
    assert "<table" in programme


def test_event_pages_use_chinese_colons(app):
    f.user(Role.BROKER, username="b1")
    event = _event()
    for path in ("invite", "programme", "matches", "funnel"):
        page = _text(client_as(app, "b1").get(f"/events/{event.id}/{path}"))
        main = page[page.index("<main"):page.index("</main>")]
        text = re.sub(r"<[^>]+>", "", re.sub(r"<(script|style)\b.*?</\1>", "", main, flags=re.S))
        assert not re.search(r"[\u4e00-\u9fff]: ", text), path


# --- D8, D9: charts ------------------------------------------------------------------------------


def _texts(svg) -> list[tuple[float, str]]:
    return [(float(y), t) for y, t in re.findall(r'<text[^>]* y="([\d.]+)"[^>]*>([^<]*)</text>',
                                                 str(svg))]


def test_funnel_labels_sit_above_their_bars_with_chinese_punctuation(app):
    stages = [("全部配对", 915), ("已推荐及以后", 32), ("已签约及以后", 12)]
    with app.test_request_context("/"):
        svg = str(funnel_chart(stages, "漏斗"))
        with force_locale("en"):
            english = str(funnel_chart([("All pairs", 915), ("Recommended", 32)], "t"))
    labels = re.findall(r'<text[^>]*class="stage">([^<]*)</text>', svg)
    assert labels == ["全部配对：915", "已推荐及以后：32（3.5%）", "已签约及以后：12（1.3%）"]
    assert "Recommended: 32 (3.5%)" in english
    # each label's baseline is above the top of its own bar: the bar never runs through it
    tops = [float(y) for y in re.findall(r'<rect[^>]* y="([\d.]+)"', svg)]
    bases = [float(y) for y in re.findall(r'<text[^>]* y="([\d.]+)"[^>]*class="stage"', svg)]
    assert len(tops) == len(bases) == 3
    assert all(base <= top - 4 for base, top in zip(bases, tops, strict=True))


def test_a_line_chart_writes_only_the_x_labels_that_fit_at_phone_size():
    weeks = [(f"{m:02d}-{d:02d}", d) for m in (9, 10, 11) for d in (1, 8, 15, 22)]
    svg = str(line_chart(weeks, "t"))
    shown = re.findall(r'class="axis">(\d\d-\d\d)</text>', svg)
    assert weeks[-1][0] in shown and len(shown) < len(weeks)  # the latest week is always named
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*class="axis">\d\d-\d\d<', svg)]
    room = min(b - a for a, b in zip(xs, xs[1:], strict=False))
    assert room >= _text_width("09-01", 18)  # at the phone size (18 units) they do not touch
    assert svg.count("<circle") == len(weeks)  # every point keeps its tooltip


def test_a_bar_chart_gives_its_labels_room_and_cuts_only_what_cannot_fit():
    items = [("新能源矿用车辆", 100), ("A", 3), ("Field" + "Q" * 80, 5)]
    svg = str(bar_chart(items, "Pairs that reached each stage (cumulative, rejected left out)"))
    left = float(re.search(r'<rect x="([\d.]+)"', svg).group(1))
    assert left >= _text_width("新能源矿用车辆", TEXT)
    assert "新能源矿用车辆</text>" in svg and "…</text>" in svg  # the long one cut, whole in <title>
    assert "<title>Field" + "Q" * 80 in svg
    # a long title wraps onto a second line instead of running out of the chart
    titles = re.findall(r'class="title">([^<]*)<', svg)
    assert len(titles) == 2 and "".join(titles).replace(" ", "") == (
        "Pairs that reached each stage (cumulative, rejected left out)".replace(" ", ""))
    assert 'data-kind="bars"' in svg and svg.startswith('<svg class="chart"')


def test_the_dashboard_breakdowns_scroll_in_their_own_box(app):
    f.user(Role.BROKER, username="b1")
    pair(status=MatchStatus.RECOMMENDED)
    db.session.commit()
    page = client_as(app, "b1").get("/dashboard/").get_data(as_text=True)
    assert page.count('<div class="table-box"><table class="data compact wide">') == 3


def test_the_favicon_address_answers_with_the_icon(client):
    """A PDF the browser shows asks /favicon.ico (404 on every booklet opened, QA stop 35)."""
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert b"<svg" in answer.data
