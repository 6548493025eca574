"""Numbers that agree (issue 10, point 4): each figure has one definition, in
``services.figures``, and every page that shows it shows the same number.

待审 (pending): the dashboard's card (all), the "mine" line under it, the queue's default view,
the pipeline board's 待审 column. Signed contracts: the dashboard's card and the funnel's
"signed or further" bar.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from matchmaker.extensions import db
from matchmaker.records import MatchStatus, Role, User
from matchmaker.services import figures, queue
from tests import factories as f
from tests.pairs import client_as, pair

S = MatchStatus


@pytest.fixture
def world(db_app):
    scoped = f.user(Role.BROKER, username="broker1", broker_fields="H")  # sees section H only
    other = f.user(Role.BROKER, username="broker2")
    f.user(Role.ADMIN, username="admin1")
    magnet = f.patent("磁体专利", ipc=["H01F 1/057"])
    device = f.patent("设备专利", ipc=["B03C 1/00"])
    need = f.need("稀土需求")
    pair(need=need, patent=magnet, broker=scoped)  # pending, mine
    pair(need=f.need("磁材需求"), patent=magnet)  # pending, unassigned, in broker1's field
    pair(need=f.need("选矿需求"), patent=device)  # pending, unassigned, outside broker1's field
    pair(need=f.need("设备需求"), patent=device, broker=other)  # pending, broker2's
    pair(need=f.need("签约需求"), patent=magnet, broker=scoped, status=S.SIGNED,
         contract_amount=Decimal("10"))
    pair(need=f.need("登记需求"), patent=device, broker=other, status=S.REGISTERED)
    pair(need=f.need("推荐需求"), patent=magnet, broker=scoped, status=S.RECOMMENDED)
    pair(need=f.need("拒绝需求"), patent=device, status=S.REJECTED)
    db.session.commit()
    db_app.config["DASHBOARD_CACHE_SECONDS"] = 0
    return db_app


def _number(html: str, element_id: str) -> int:
    """The first number inside the element with ``element_id``."""
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)', html)
    assert match, f"#{element_id} missing"
    return int(re.search(r"\d[\d,]*", match.group(1)).group().replace(",", ""))


def _page(app, username, path) -> str:
    response = client_as(app, username).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_service_defines_pending_and_signed(world):
    with world.test_request_context():
        users = {u: db.session.scalar(db.select(User).filter_by(username=u))
                 for u in ("broker1", "broker2", "admin1")}
        assert figures.pending() == 4
        assert figures.pending(users["broker1"]) == 2  # hers and the unassigned one in her field
        assert figures.pending(users["broker2"]) == 3  # no field: every unassigned one, and hers
        assert figures.pending(users["admin1"]) == 4
        assert figures.signed_contracts() == 2  # signed and registered
        for username, user in users.items():
            page = queue.queue_page(user, queue.QueueFilters())
            assert page.total == figures.pending(user) and not page.capped, username


@pytest.mark.parametrize(("username", "mine"), [("broker1", 2), ("broker2", 3), ("admin1", 4)])
def test_every_page_shows_the_same_pending_count(world, username, mine):
    dashboard = _page(world, username, "/dashboard/")
    assert _number(dashboard, "kpi-candidates") == 4  # scope: all, on the label
    assert "待审配对（当前·全部）" in dashboard
    assert _number(dashboard, "kpi-pending-mine") == mine
    queue_html = _page(world, username, "/queue/")
    assert _number(queue_html, "pending-mine") == mine
    board = _page(world, username, "/pipeline/")
    assert _number(board, "board-pending") == mine  # was 1 for broker1: only her assigned pair


def test_signed_contracts_agree_between_card_and_funnel(world):
    html = _page(world, "admin1", "/dashboard/")
    assert _number(html, "kpi-deals") == 2
    assert "已签约合同（当前·含已登记）" in html
    funnel = re.search(r"已签约及以后：(\d+)", html)  # the Chinese colon on zh screens
    assert funnel and int(funnel.group(1)) == 2
    assert "各阶段配对数（当前状态）" in html  # the per-status bar says it counts current statuses


def test_the_default_queue_counts_exactly_beyond_the_cap(world, monkeypatch):
    """The admin queue said "more than 1000" where the dashboard said 1149: the default view
    now shows the exact 待审 figure; filtered views keep the cap."""
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    with world.test_request_context():
        admin = db.session.scalar(db.select(User).filter_by(username="admin1"))
        page = queue.queue_page(admin, queue.QueueFilters(), per_page=2)
        assert (page.total, page.capped, page.pages) == (4, False, 2)
        filtered = queue.queue_page(admin, queue.QueueFilters(statuses=None), per_page=2)
        assert filtered.capped and filtered.total == 3
    html = _page(world, "admin1", "/queue/")
    assert _number(html, "pending-mine") == 4 and "超过" not in html


def test_one_pass_counts_pending_and_the_default_queue_alike(world):
    """The queue page counts 待审 (weak candidates included) and its default view (strong
    ones) in one pass over the user's candidates; both agree with the separate definitions."""
    with world.test_request_context():
        weak = pair(need=f.need("弱匹配需求"), patent=db.session.scalar(
            db.select(f.Patent).filter_by(title="磁体专利")), calibrated=5)  # under the strong line
        strong = pair(need=f.need("强匹配需求"), patent=weak.patent, calibrated=80)
        db.session.commit()
        for username in ("broker1", "broker2", "admin1"):
            user = db.session.scalar(db.select(User).filter_by(username=username))
            counted = figures.pending_counts(user)
            alone = queue.queue_page(user, queue.QueueFilters()).total  # its own count
            assert counted == (figures.pending(user), alone), username
            assert counted[0] == counted[1] + 1  # the weak pair: pending, hidden by default
            page = queue.queue_page(user, queue.QueueFilters(), total=counted[1])
            assert page.total == alone and strong.id in {m.id for m in page.items}
    html = _page(world, "broker1", "/queue/")
    assert _number(html, "pending-mine") == 4  # 2 of the fixture + the weak and the strong one


def test_the_scope_filter_selects_what_the_match_filter_selects(db_app):
    """Counts walk a user's scope with ``access.scope_filter`` (subqueries), pages and single
    pairs with ``access.match_filter`` (joins): the same pairs for every role and scope."""
    from sqlalchemy import select

    from matchmaker.records import Confidentiality, Match, OrgKind
    from matchmaker.services import access

    ent, uni = f.org(OrgKind.ENTERPRISE), f.org(OrgKind.UNIVERSITY)
    users = [
        f.user(Role.ADMIN),
        f.user(Role.BROKER, broker_fields="H", broker_regions="包头市"),
        f.user(Role.BROKER, broker_fields="B,h"),
        f.user(Role.BROKER, broker_regions="包头市，鄂尔多斯市"),
        f.user(Role.BROKER),
        f.user(Role.ENTERPRISE, ent),
        f.user(Role.UNIVERSITY, uni),
    ]
    scoped = users[1]
    patents = [f.patent("磁体", ipc=["H01F 1/057"], owner=uni), f.patent("选矿", ipc=["B03C 1/00"]),
               f.patent("两类", ipc=["H01F 7/02", "B03C 1/00"]), f.patent("无分类", ipc=[])]
    needs = [f.need("包头公开", region_league="包头市", enterprise=ent),
             f.need("包头保密", region_league="包头市", confidentiality=Confidentiality.BROKERS,
                    broker_id=scoped.id),
             f.need("鄂尔多斯", region_league="鄂尔多斯市"),
             f.need("无地区"),
             f.need("他人保密", confidentiality=Confidentiality.BROKERS)]
    for i, need in enumerate(needs):
        for j, patent in enumerate(patents):
            status = list(S)[(i + j) % len(S)]
            broker = users[1 + (i * j) % 4] if (i + j) % 3 == 0 else None
            pair(need=need, patent=patent, status=status, broker=broker)
    db.session.commit()
    for user in users:
        joined = set(db.session.scalars(
            access.visible_matches(user).with_only_columns(Match.id)))
        semi = set(db.session.scalars(select(Match.id).where(access.scope_filter(user))))
        assert semi == joined, (user.role, user.broker_fields, user.broker_regions)
    assert 0 < len(set(db.session.scalars(select(Match.id).where(
        access.scope_filter(scoped))))) < 20
