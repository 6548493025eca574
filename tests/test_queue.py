"""The review queue: filters, sorting, pagination, bulk actions, the pair page and role rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import Match, MatchHistory, MatchStatus, RejectionReason, Role
from matchmaker.services import queue, queue_bulk
from matchmaker.services.queue import QueueFilters
from tests import factories as f
from tests.pairs import cast, client_as, pair

S = MatchStatus
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(db_app):
    """Five pairs with different scores, ages, regions, fields, sections, brokers and statuses."""
    p = cast()
    need2 = f.need("风电叶片回收需求", region_league="鄂尔多斯市", technical_field="节能环保")
    pat_c = f.patent("一种复合材料回收方法", ipc=["C08J 11/04"], technical_field="化工")
    pat_c2 = f.patent("一种稀土合金冶炼方法", ipc=["C22C 38/00", "H01F 1/057"])
    pat_h = f.patent("一种风机叶片检测装置", ipc=["H02K 7/18"])
    pat_b = f.patent("一种磁选设备", ipc=["B03C 1/00"])
    p["m1"] = p["match"]  # 0.8, candidate, unassigned, 包头市, 新材料, H
    p["m2"] = pair(need=need2, patent=pat_c, score=0.6, age_days=10)
    p["m3"] = pair(need=p["need"], patent=pat_c2, score=0.4, age_days=30, broker=p["broker"])
    p["m4"] = pair(need=need2, patent=pat_h, score=0.9, age_days=5, broker=p["other_broker"],
                   status=S.RECOMMENDED)
    p["m5"] = pair(need=need2, patent=pat_b, score=0.3, age_days=2, status=S.REJECTED,
                   rejection_reason=RejectionReason.NOT_RELEVANT)
    db.session.commit()
    return p


def ids(page) -> list[int]:
    return [m.id for m in page.items]


def test_default_queue_is_visible_candidates_by_score(world):
    page = queue.queue_page(world["broker"], QueueFilters())
    assert ids(page) == [world["m1"].id, world["m2"].id, world["m3"].id]
    assert page.total == 3 and not page.capped
    # the admin sees the same candidates; the other broker only unassigned ones
    assert ids(queue.queue_page(world["admin"], QueueFilters())) == ids(page)
    assert ids(queue.queue_page(world["other_broker"], QueueFilters())) == [
        world["m1"].id, world["m2"].id]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(score_min=0.5), ["m1", "m2"]),
        (QueueFilters(score_max=0.5), ["m3"]),
        (QueueFilters(score_min=0.5, score_max=0.7), ["m2"]),
        (QueueFilters(ipc_section="C"), ["m2", "m3"]),
        (QueueFilters(ipc_section="h"), ["m1", "m3"]),
        (QueueFilters(field="新材"), ["m1", "m3"]),  # the need's field
        (QueueFilters(field="化工"), ["m2"]),  # the patent's field
        (QueueFilters(field="100%_"), []),  # LIKE wildcards are literal
        (QueueFilters(region="鄂尔多斯市"), ["m2"]),
        (QueueFilters(age_min=7), ["m2", "m3"]),
        (QueueFilters(age_max=7), ["m1"]),
        (QueueFilters(age_min=7, age_max=20), ["m2"]),
        (QueueFilters(broker="unassigned"), ["m1", "m2"]),
        (QueueFilters(broker="mine"), []),  # the admin has no pairs of their own
        (QueueFilters(statuses=None), ["m4", "m1", "m2", "m3", "m5"]),
        (QueueFilters(statuses=(S.REJECTED,)), ["m5"]),
        (QueueFilters(sort="score", reverse=True), ["m3", "m2", "m1"]),
        (QueueFilters(sort="age"), ["m3", "m2", "m1"]),  # waiting longest first
        (QueueFilters(sort="age", reverse=True), ["m1", "m2", "m3"]),
        (QueueFilters(statuses=None, sort="status"), ["m1", "m2", "m3", "m4", "m5"]),
        (QueueFilters(statuses=None, sort="status", reverse=True), ["m5", "m4", "m1", "m2", "m3"]),
    ],
)
def test_filters_and_sorting(world, filters, expected):
    page = queue.queue_page(world["admin"], filters)
    assert ids(page) == [world[name].id for name in expected]
    assert page.total == len(expected)


@pytest.mark.parametrize("reverse", [False, True])
def test_stage_order_pages_across_statuses(world, reverse):
    order = ["m1", "m2", "m3", "m4", "m5"]  # candidates by score, then recommended, rejected
    if reverse:
        order = ["m5", "m4", "m1", "m2", "m3"]
    filters = QueueFilters(statuses=None, sort="status", reverse=reverse)
    pages = [queue.queue_page(world["admin"], filters, page=n, per_page=2) for n in (1, 2, 3)]
    assert [ids(p) for p in pages] == [
        [world[n].id for n in order[0:2]], [world[n].id for n in order[2:4]], [world[order[4]].id]]
    assert all(p.total == 5 for p in pages)
    # the statuses chosen still limit the page
    only = QueueFilters(statuses=(S.REJECTED, S.RECOMMENDED), sort="status")
    assert ids(queue.queue_page(world["admin"], only)) == [world["m4"].id, world["m5"].id]


def test_filter_mine(world):
    assert ids(queue.queue_page(world["broker"], QueueFilters(broker="mine"))) == [world["m3"].id]


def test_filter_by_broker_id(world):
    page = queue.queue_page(world["admin"], QueueFilters(statuses=None, broker=world["other_broker"].id))
    assert ids(page) == [world["m4"].id]


def test_pagination_and_capped_count(world, monkeypatch):
    first = queue.queue_page(world["admin"], QueueFilters(statuses=None), page=1, per_page=2)
    second = queue.queue_page(world["admin"], QueueFilters(statuses=None), page=2, per_page=2)
    third = queue.queue_page(world["admin"], QueueFilters(statuses=None), page=3, per_page=2)
    assert (first.total, first.pages, first.has_next, first.has_prev) == (5, 3, True, False)
    assert ids(first) + ids(second) + ids(third) == [
        world[n].id for n in ("m4", "m1", "m2", "m3", "m5")]
    assert not third.has_next and third.has_prev
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    capped = queue.queue_page(world["admin"], QueueFilters(statuses=None), page=9, per_page=2)
    assert capped.capped and capped.total == 3 and capped.page == 2  # pages stop at the cap


def test_queue_page_renders_filters_and_pages(world, db_app):
    db_app.config["PAGE_SIZE"] = 2
    client = client_as(db_app, "admin1")
    html = client.get("/queue/").get_data(as_text=True)
    assert html.index(world["m1"].need.title) < html.index("风电叶片回收需求")
    assert "一种稀土合金冶炼方法" not in html  # m3 is on page 2
    assert "page=2" in html
    html = client.get("/queue/?page=2").get_data(as_text=True)
    assert "一种稀土合金冶炼方法" in html
    html = client.get("/queue/?section=C&sort=age").get_data(as_text=True)
    assert html.index("一种稀土合金冶炼方法") < html.index("一种复合材料回收方法")
    html = client.get("/queue/?status=all&region=鄂尔多斯市&broker=unassigned").get_data(as_text=True)
    assert "一种复合材料回收方法" in html and "一种磁选设备" in html
    assert "一种风机叶片检测装置" not in html  # assigned to broker2


def test_the_filters_sit_in_a_panel_that_counts_what_is_set(world, db_app):
    client = client_as(db_app, "admin1")
    html = client.get("/queue/").get_data(as_text=True)
    panel = html.split('<details class="filter-panel no-print" data-fold-narrow open>', 1)[1]
    panel = panel.split("</details>", 1)[0]
    assert "<summary>筛选与保存的视图</summary>" in panel
    assert 'role="search"' in panel and "save-view" in panel  # filters and saved views inside
    html = client.get("/queue/?section=C&region=鄂尔多斯市&sort=age").get_data(as_text=True)
    assert "筛选与保存的视图 <span class=\"badge\">已设 2 项</span>" in html  # sort is no filter
    table = client.get("/pipeline/table").get_data(as_text=True)
    assert "<summary>筛选</summary>" in table and "save-view" not in table


def test_invalid_filters_show_an_error(world, db_app):
    client = client_as(db_app, "admin1")
    response = client.get("/queue/?score_min=0.9&score_max=0.1&age_min=-3")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="errors"') == 2  # score bounds reversed, negative age
    assert 'aria-invalid="true"' in html


def test_pair_page_renders_the_explanation(world, db_app):
    client = client_as(db_app, "broker1")
    html = client.get(f"/queue/{world['m1'].id}").get_data(as_text=True)
    # each channel's share under a human name; model ids and raw scores only for admins
    assert '<svg class="chart"' in html and "语义相似" in html and "关键词" in html
    assert "62%" in html and "38%" in html
    assert "use-multilingual" not in html and "engine-details" not in html
    assert "+0.050" in html and "本地企业加分" in html
    assert "-0.100" in html and "专利失效降权" in html
    # shared terms highlighted in the need's description and in the patent's title/abstract
    need_side = html[html.index('class="card side need-side"'):html.index('class="card side patent-side"')]
    assert "<mark>钕铁硼</mark>" in need_side and "<mark>矫顽力</mark>" in need_side
    # closest sentences: ranked again over every sentence of the patent's abstract
    sentences = html[html.index('<ol class="sentences">'):]
    sentences = sentences[:sentences.index("</ol>")]
    abstract = world["m1"].patent.abstract
    shown = re.findall(r"<li>(.*?) <small", sentences, re.S)
    assert shown and all(re.sub(r"</?mark>", "", s).rstrip("。") in abstract for s in shown)
    # the factory abstract's second sentence, ranked again; its first one restates the title
    assert [re.sub(r"</?mark>", "", s) for s in shown] == [
        "本发明公开了一种稀土永磁材料的制备方法，具有成本低、性能稳定的优点。"]
    # brokers see both sides' contacts
    assert "0472-1111111" in html and "0472-2222222" in html
    # actions allowed from candidate: recommend and reject, plus assign and note
    assert f'/pipeline/{world["m1"].id}/move/recommended' in html
    assert f'/pipeline/{world["m1"].id}/move/rejected' in html
    assert f'/pipeline/{world["m1"].id}/move/signed' not in html
    assert "recommended-submit" in html and "signed-contract_amount" not in html


def test_pair_page_without_explanation(world, db_app):
    bare = pair(need=world["need"], score=0.5, explanation={})
    db.session.commit()
    html = client_as(db_app, "admin1").get(f"/queue/{bare.id}").get_data(as_text=True)
    assert 'class="delta' not in html and "<mark>" not in html
    assert html.count('class="empty"') >= 3  # no rules, no shared terms, no sentences


def test_pair_page_names_the_list_its_rank_belongs_to(world, db_app):
    """A pair found from a dormant patent's side has its rank among the patent's needs: the
    page said "该需求第 2 名" (the need's list) for it."""
    from_patent = pair(need=world["need"], score=0.5, explanation={"direction": "patent"}, rank=2)
    from_need = pair(need=world["need"], score=0.5, explanation={"direction": "need"}, rank=3)
    db.session.commit()
    client = client_as(db_app, "admin1")
    html = client.get(f"/queue/{from_patent.id}").get_data(as_text=True)
    assert "该专利第 2 名" in html and "该需求第" not in html
    html = client.get(f"/queue/{from_need.id}").get_data(as_text=True)
    assert "该需求第 3 名" in html and "该专利第" not in html


def test_pair_page_escapes_engine_text(world, db_app):
    odd = pair(need=world["need"], explanation={
        "shared_terms": ["<b>"], "rules": [{"rule": "x", "label": "<script>", "delta": 0.1}],
        "closest_sentences": [{"text": "<img src=x>", "source": "abstract", "score": 0.5}] * 3})
    db.session.commit()
    html = client_as(db_app, "admin1").get(f"/queue/{odd.id}").get_data(as_text=True)
    assert "<script>" not in html and "<img src=x>" not in html and "&lt;img src=x&gt;" in html


def test_pair_page_falls_back_to_stored_sentences_when_the_engine_fails(world, db_app,
                                                                        monkeypatch, caplog):
    from matchmaker.services import matching

    def broken(need, patent):
        raise RuntimeError("encoder unavailable")

    monkeypatch.setattr(matching, "pair_sentences", broken)
    response = client_as(db_app, "broker1").get(f"/queue/{world['m1'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "通过晶界扩散提高<mark>钕铁硼</mark>磁体的<mark>矫顽力</mark>" in html  # the stored one
    assert "closest sentences for match" in caplog.text


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("ent1", "/queue/", 403),
        ("uni1", "/queue/", 403),
        ("ent1", "/queue/{m1}", 403),
        ("uni1", "/queue/{m4}", 403),
        ("broker1", "/queue/{m4}", 403),  # assigned to another broker
        ("broker2", "/queue/{m3}", 403),
        ("admin1", "/queue/999999", 404),
        (None, "/queue/", 302),
    ],
)
def test_forbidden_gets(world, db_app, who, url, status):
    client = client_as(db_app, who)
    response = client.get(url.format(m1=world["m1"].id, m4=world["m4"].id, m3=world["m3"].id))
    assert response.status_code == status


def _history_count() -> int:
    return db.session.scalar(select(func.count(MatchHistory.id)))


def test_bulk_assign(world, db_app):
    client = client_as(db_app, "broker1")
    response = client.post("/queue/bulk", data={
        "ids": [world["m1"].id, world["m2"].id], "broker": world["other_broker"].id,
        "assign": "1", "next": "/queue/?sort=age"})
    assert response.status_code == 302 and response.headers["Location"] == "/queue/?sort=age"
    db.session.expire_all()
    assert world["m1"].broker_id == world["m2"].broker_id == world["other_broker"].id
    assert _history_count() == 2
    page = client.get("/queue/?sort=age").get_data(as_text=True)
    assert "已分配 2 个配对。" in page
    client.post("/auth/language/en")
    client.post("/queue/bulk", data={"ids": [world["m3"].id], "broker": world["other_broker"].id,
                                     "assign": "1"})
    page = client.get("/queue/").get_data(as_text=True)
    assert "1 pair assigned." in page  # English counts its nouns


def test_bulk_reject(world, db_app):
    client = client_as(db_app, "broker1")
    client.post("/queue/bulk", data={"ids": [world["m1"].id, world["m3"].id],
                                     "rejection_reason": "already_solved", "reject": "1"})
    db.session.expire_all()
    assert world["m1"].status is S.REJECTED and world["m3"].status is S.REJECTED
    assert world["m1"].rejection_reason is RejectionReason.ALREADY_SOLVED
    assert world["m1"].broker_id == world["broker"].id  # the broker took the unassigned pair


@pytest.mark.parametrize("action", ["assign", "reject"])
def test_bulk_with_a_forbidden_id_changes_nothing(world, db_app, action):
    client = client_as(db_app, "broker1")
    response = client.post("/queue/bulk", data={
        "ids": [world["m1"].id, world["m4"].id],  # m4 belongs to broker2
        "broker": world["broker"].id, "rejection_reason": "not_relevant", action: "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert world["m1"].status is S.CANDIDATE and world["m1"].broker_id is None
    assert world["m4"].status is S.RECOMMENDED and world["m4"].broker_id == world["other_broker"].id
    assert _history_count() == 0


def test_bulk_refuses_bad_input_and_keeps_everything(world, db_app):
    client = client_as(db_app, "broker1")
    m1, m2 = world["m1"].id, world["m2"].id
    cases = [
        {"ids": [m1], "reject": "1"},  # no reason
        {"ids": [m1], "rejection_reason": "other", "reject": "1"},  # other without text
        {"ids": [m1], "assign": "1"},  # no broker
        {"ids": [m1], "broker": world["broker"].id},  # no action
        {"rejection_reason": "too_early", "reject": "1"},  # nothing selected
        {"ids": [m1, world["m5"].id], "rejection_reason": "too_early", "reject": "1"},  # m5 rejected
        {"ids": [m1, 999999], "rejection_reason": "too_early", "reject": "1"},  # missing id
    ]
    for data in cases:
        response = client.post("/queue/bulk", data=data)
        assert response.status_code == 302, data
    db.session.expire_all()
    assert world["m1"].status is S.CANDIDATE and db.session.get(Match, m2).status is S.CANDIDATE
    assert _history_count() == 0
    html = client.get("/queue/").get_data(as_text=True)
    assert html.count("flash-danger") == len(cases)  # every refusal was explained


@pytest.mark.parametrize("who", ["ent1", "uni1"])
def test_parties_cannot_post_bulk(world, db_app, who):
    client = client_as(db_app, who)
    response = client.post("/queue/bulk", data={"ids": [world["m1"].id],
                                                "rejection_reason": "too_early", "reject": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert world["m1"].status is S.CANDIDATE


def test_bulk_limit(world):
    with pytest.raises(ValidationError, match="200"):
        queue_bulk.load_workable(world["admin"], list(range(1, 300)))
    with pytest.raises(ValidationError):
        queue_bulk.load_workable(world["admin"], [])


def test_bulk_refused_without_csrf_token(csrf_app):
    people = cast()
    client = client_as(csrf_app, None)
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/auth/login", data={"username": "broker1", "password": "password-123",
                                            "csrf_token": token}).status_code == 302
    response = client.post("/queue/bulk", data={"ids": [people["match"].id],
                                                "rejection_reason": "too_early", "reject": "1"})
    assert response.status_code == 400
    db.session.expire_all()
    assert people["match"].status is S.CANDIDATE


def test_home_sends_each_role_to_its_page(world, db_app):
    homes = {"admin1": "/queue/", "broker1": "/queue/", "ent1": "/needs/", "uni1": "/patents/"}
    for username, expected in homes.items():
        assert client_as(db_app, username).get("/").headers["Location"] == expected, username
    visitor = client_as(db_app, None).get("/")  # visitors get the public showcase
    assert visitor.status_code == 200 and 'href="/auth/login"' in visitor.text


def test_brokers_lists_only_active_brokers(world):
    f.user(Role.BROKER, active=False, display_name="离职经纪人")
    ids = {world["broker"].id: "broker1", world["other_broker"].id: "broker2"}
    assert [ids[b.id] for b in queue.brokers()] == ["broker2", "broker1"]  # by display name


def test_catalogs_cover_every_string_of_part_b():
    """Every msgid in these templates and modules has a Chinese translation."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    translated = {}
    for po in (ROOT / "matchmaker").rglob("translations/zh_CN/LC_MESSAGES/messages.po"):
        with open(po, "rb") as fh:
            translated.update({m.id: m.string for m in read_po(fh) if m.id and m.string})
    sources = [
        *(ROOT / "templates").glob("queue/*.html"), *(ROOT / "templates").glob("pipeline/*.html"),
        *(ROOT / "templates").glob("recommendations/*.html"),
        *(ROOT / "templates").glob("dashboard/*.html"), *(ROOT / "templates").glob("auth/*.html"),
        *[ROOT / "templates" / n for n in ("base.html", "_nav.html", "_macros.html", "home.html")],
        ROOT / "templates/errors/error.html", ROOT / "matchmaker/labels.py",
        *(ROOT / "matchmaker/portal").glob("queue/*.py"), *(ROOT / "matchmaker/portal").glob("pipeline/*.py"),
        *(ROOT / "matchmaker/portal").glob("recommendations/*.py"),
        *(ROOT / "matchmaker/portal").glob("dashboard/*.py"), *(ROOT / "matchmaker/portal").glob("auth/*.py"),
        ROOT / "matchmaker/services/pipeline.py", ROOT / "matchmaker/services/pipeline_checks.py",
        ROOT / "matchmaker/services/queue.py", ROOT / "matchmaker/services/pair_lists.py",
        ROOT / "matchmaker/services/review.py", ROOT / "matchmaker/services/saved_views.py",
        ROOT / "matchmaker/services/undo.py",
    ]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "tr": None}
    missing = []
    for path in sources:
        method = "jinja2" if path.suffix == ".html" else "python"
        for _, msgid, _, _ in extract_from_file(method, str(path), keywords=keywords):
            if msgid not in translated:
                missing.append(f"{path.relative_to(ROOT)}: {msgid!r}")
    assert missing == []
