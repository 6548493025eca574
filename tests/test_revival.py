"""Dormant-patent revival: terms, the ranking and its factors, lapse/expiry flags, visibility."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g, request_started

from matchmaker.errors import PermissionDenied
from matchmaker.extensions import db
from matchmaker.records import (
    LegalStatus,
    LicenceMode,
    Match,
    NeedStatus,
    OrgKind,
    PatentType,
    Role,
)
from matchmaker.services.revival import (
    DEMAND_NEEDS_FULL,
    WARNING_DAYS,
    attach_patents,
    rank_dormant,
    term_end,
)
from tests import factories as f

TODAY = date(2026, 3, 1)


def _fresh_login_cache(sender, **extra):
    g.pop("_login_user", None)


def demand(patent, scores, status=NeedStatus.OPEN, calibrated=None):
    for score in scores:
        db.session.add(
            Match(
                need=f.need(status=status),
                patent=patent,
                score=score,
                calibrated=calibrated,
                channel_scores={},
                explanation={},
            )
        )
    db.session.flush()


def test_term_end_by_patent_type():
    class P:
        def __init__(self, kind, filed):
            self.patent_type, self.filing_date = kind, filed

    assert term_end(P(PatentType.INVENTION, date(2010, 5, 4))) == date(2030, 5, 4)
    assert term_end(P(PatentType.UTILITY, date(2020, 2, 29))) == date(2030, 2, 28)
    assert term_end(P(PatentType.DESIGN, date(2022, 1, 1))) == date(2037, 1, 1)
    assert term_end(P(PatentType.INVENTION, None)) is None


def test_ranking_combines_demand_term_status_and_open_licence(db_app):
    uni = f.org(OrgKind.UNIVERSITY)
    strong = f.patent(title="强需求开放许可", owner=uni, filing_date=date(2021, 3, 1))
    strong.licensing_modes = [LicenceMode.OPEN]
    old = f.patent(title="老专利", owner=uni, filing_date=date(2009, 3, 1))
    pending = f.patent(
        title="审查中", owner=uni, filing_date=date(2024, 3, 1), status=LegalStatus.PENDING
    )
    lapsed = f.patent(
        title="已失效", owner=uni, filing_date=date(2020, 1, 1), status=LegalStatus.LAPSED
    )
    f.patent(title="期满", owner=uni, filing_date=date(2005, 1, 1))
    f.patent(title="已转化", owner=uni, dormant=False)
    demand(strong, [0.9, 0.8, 0.7])
    demand(old, [0.5])
    demand(lapsed, [0.95, 0.95])
    demand(pending, [0.99], status=NeedStatus.CLOSED)  # closed needs are no demand
    db.session.commit()
    broker = f.user(Role.BROKER)
    rows = rank_dormant(broker, TODAY)
    assert [r.patent.title for r in rows] == ["强需求开放许可", "老专利", "审查中"]
    # 老专利: demand 40 x (0.5 x 1/10 + 0.5 x 0.5) = 12, term 25 x 3/20 = 3.75, valid 20 -> 35.75;
    # 审查中: no open demand, term 25 x 18/20 = 22.5, pending 10 -> 32.5
    assert [rows[1].total, rows[2].total] == pytest.approx([35.8, 32.5], abs=0.11)
    top = {fa.key: fa for fa in rows[0].factors}
    assert top["open_licence"].points == 15 and top["status"].points == 20
    assert top["demand"].detail == {"open_needs": 3, "best_score": 0.9, "calibrated": None}
    assert top["demand"].points == pytest.approx(
        40 * (0.5 * 3 / DEMAND_NEEDS_FULL + 0.5 * 0.9), abs=0.05
    )
    assert rows[0].total == pytest.approx(sum(fa.points for fa in rows[0].factors), abs=0.05)
    assert {fa.key: fa.points for fa in rows[2].factors}["status"] == 10  # pending counts half
    assert {fa.key: fa.points for fa in rows[2].factors}["demand"] == 0
    every = rank_dormant(broker, TODAY, include_unrevivable=True)
    assert [r.patent.title for r in every[-2:]] == ["已失效", "期满"]
    assert all(not r.revivable and r.total == 0 for r in every[-2:])


def test_demand_reads_the_calibrated_score_brokers_see(db_app):
    """The fused score is relative to each need (about 1 for the first candidate even when
    nothing fits): the best pair counts as its calibrated likelihood when it has one."""
    uni = f.org(OrgKind.UNIVERSITY)
    fits = f.patent(title="真匹配", owner=uni, filing_date=date(2021, 3, 1))
    first_of_nothing = f.patent(title="无关需求的第一名", owner=uni, filing_date=date(2021, 3, 1))
    demand(fits, [0.8], calibrated=90)
    demand(first_of_nothing, [1.05], calibrated=6)
    broker = f.user(Role.BROKER)
    db.session.commit()
    rows = rank_dormant(broker, TODAY)
    assert [r.patent.title for r in rows] == ["真匹配", "无关需求的第一名"]
    points = [{fa.key: fa for fa in r.factors}["demand"] for r in rows]
    assert points[0].points == pytest.approx(40 * (0.5 / DEMAND_NEEDS_FULL + 0.5 * 0.9), abs=0.05)
    assert points[1].points == pytest.approx(40 * (0.5 / DEMAND_NEEDS_FULL + 0.5 * 0.06), abs=0.05)
    assert points[1].detail == {"open_needs": 1, "best_score": 1.05, "calibrated": 6}
    request_started.connect(_fresh_login_cache, db_app)
    client = db_app.test_client()
    f.login(client, broker.username)
    html = client.get("/revival/").text
    assert "1 项开放需求，最高匹配度" in html and '<strong class="score">90</strong>' in html
    client.post("/auth/language/en")
    english = client.get("/revival/").text
    assert "1 open need, best match" in english and "1 open needs" not in english


def test_lapse_and_expiry_flags(db_app):
    f.patent(
        title="年费将到期", fee_due_date=TODAY + timedelta(days=30), filing_date=date(2020, 1, 1)
    )
    f.patent(
        title="年费充裕",
        fee_due_date=TODAY + timedelta(days=WARNING_DAYS + 20),
        filing_date=date(2020, 1, 1),
    )
    f.patent(
        title="年费逾期", fee_due_date=TODAY - timedelta(days=10), filing_date=date(2020, 1, 1)
    )
    f.patent(title="即将期满", filing_date=date(2006, 6, 1))  # term ends 2026-06-01
    db.session.commit()
    rows = {r.patent.title: r for r in rank_dormant(f.user(Role.ADMIN), TODAY)}
    assert rows["年费将到期"].lapse_soon and rows["年费将到期"].days_to_fee_due == 30
    assert not rows["年费充裕"].urgent
    assert rows["年费逾期"].fee_overdue and rows["年费逾期"].urgent
    assert rows["即将期满"].expire_soon and rows["即将期满"].term_end == date(2026, 6, 1)
    assert not rows["即将期满"].lapse_soon
    urgent = rank_dormant(f.user(Role.ADMIN), TODAY, urgent_only=True)
    assert {r.patent.title for r in urgent} == {"年费将到期", "年费逾期", "即将期满"}


def test_universities_see_only_their_own_dormant_patents(app):
    mine, theirs = f.org(OrgKind.UNIVERSITY), f.org(OrgKind.UNIVERSITY)
    f.patent(title="本校专利", owner=mine, fee_due_date=date.today() + timedelta(days=20))
    f.patent(title="外校专利", owner=theirs)
    uni = f.user(Role.UNIVERSITY, mine)
    enterprise = f.user(Role.ENTERPRISE)
    db.session.commit()
    assert [r.patent.title for r in rank_dormant(uni)] == ["本校专利"]
    with pytest.raises(PermissionDenied):
        rank_dormant(enterprise)
    request_started.connect(_fresh_login_cache, app)
    client = app.test_client()
    f.login(client, uni.username)
    page = client.get("/revival/")
    assert page.status_code == 200
    assert "本校专利" in page.text and "外校专利" not in page.text
    assert "盘活潜力" in page.text  # the Chinese catalog is merged in
    assert 'class="factor-bar"' in page.text and "badge bad" in page.text  # the lapse warning


def test_a_phone_card_shows_no_empty_deadline_and_says_when_nothing_matches(db_app):
    uni = f.org(OrgKind.UNIVERSITY)
    f.patent(title="无人问津", owner=uni, filing_date=None)  # no term end, no fee: no deadline
    broker = f.user(Role.BROKER)
    db.session.commit()
    request_started.connect(_fresh_login_cache, db_app)
    client = db_app.test_client()
    f.login(client, broker.username)
    html = client.get("/revival/").text
    assert '<td data-label="期限提醒"></td>' in html  # empty: the card hides its label
    assert "暂无匹配的开放需求" in html and "最高匹配度 <" not in html


def test_ranking_runs_as_many_statements_for_30_patents_as_for_3(app):
    """The licence modes of each patent were loaded one query per patent (QA pass 5: the page
    took 2.2-3.4 s for a university with 4,341 dormant patents)."""
    from tests.test_page_queries import statements

    uni = f.org(OrgKind.UNIVERSITY)
    broker = f.user(Role.BROKER)

    def counted(n: int) -> int:
        for i in range(n):
            patent = f.patent(title=f"休眠专利{n}-{i}", owner=uni, filing_date=date(2020, 1, 1))
            patent.licensing_modes = [LicenceMode.OPEN]
        db.session.commit()
        db.session.expire_all()
        with statements() as seen:
            rows = attach_patents(rank_dormant(broker, TODAY))  # as the page does, for its page
            assert all(row.patent.owner is not None for row in rows)
        return len(seen)

    assert counted(3) == counted(27)  # 3, then 30 patents


def test_the_ranking_scores_every_patent_but_builds_rows_for_the_page_only(db_app, monkeypatch):
    """After a 100k-row import every patent is dormant: the page must not build 100k rows of
    factors to show 20 (the light pass ranks and counts, ``assess`` runs for the page)."""
    from matchmaker.services import revival

    uni = f.org(OrgKind.UNIVERSITY)
    kinds = [
        {"fee_due_date": TODAY + timedelta(days=30)},  # lapses soon
        {"fee_due_date": TODAY - timedelta(days=10)},  # fee overdue
        {"fee_due_date": TODAY + timedelta(days=WARNING_DAYS + 1)},  # not urgent
        {"filing_date": date(2006, 6, 1)},  # term ends within the window
        {"filing_date": None},  # unknown term
        {"status": LegalStatus.PENDING},
        {"status": LegalStatus.LAPSED},  # not revivable
        {"filing_date": date(2000, 1, 1)},  # past its term: not revivable
    ]
    for i in range(45):
        extra = {"filing_date": date(2015 + i % 8, 1 + i % 12, 1), **kinds[i % len(kinds)]}
        patent = f.patent(title=f"休眠{i}", owner=uni, **extra)
        if i % 5 == 0:
            patent.licensing_modes = [LicenceMode.OPEN]
        if i % 3 == 0:
            demand(patent, [0.3 + i / 100], calibrated=i)
    broker = f.user(Role.BROKER)
    db.session.commit()

    built = []
    real_assess = revival.assess
    monkeypatch.setattr(revival, "assess", lambda *a: built.append(a[0].id) or real_assess(*a))
    ranking = rank_dormant(broker, TODAY, include_unrevivable=True)
    assert len(ranking) == 45 and built == []
    page = ranking[20:40]
    assert len(page) == 20 and len(built) == 20

    # the light pass agrees with the rows: order, totals, revivability and the urgent count
    rows = list(ranking)
    assert [(not r.revivable, -r.total, r.facts.id) for r in rows] == sorted(
        (not r.revivable, -r.total, r.facts.id) for r in rows)
    assert ranking.urgent == sum(r.urgent for r in rows) > 0
    assert all(r.total == round(sum(fa.points for fa in r.factors), 1) for r in rows if r.revivable)
    revivable = rank_dormant(broker, TODAY)
    assert [r.facts.id for r in revivable] == [r.facts.id for r in rows if r.revivable]
    urgent = rank_dormant(broker, TODAY, urgent_only=True)
    assert [r.facts.id for r in urgent] == [r.facts.id for r in rows if r.urgent]
    assert urgent.urgent == len(urgent)
    assert ranking[-1] is rows[-1] and ranking[-1] is ranking[44]
    with pytest.raises(IndexError):
        ranking[45]


def test_the_numpy_ranking_rounds_and_counts_terms_as_python_does():
    """``revival_ranking`` ranks by the totals ``assess`` shows: Python's ``round`` (numpy's
    rounds 0.35 x 10 = 3.5 up, Python reads 0.34999... and rounds down) and ``term_end``'s
    29 February rule and unknown dates."""
    import random

    import numpy as np

    from matchmaker.services import revival_ranking

    rng = random.Random(7)
    values = [0.35, 0.25, 1.45, 12.25, 2.675, 37.5, 0.05, 9.95, 0.0, 40.0]
    values += [rng.uniform(0, 40) for _ in range(2000)]
    values += [rng.randrange(0, 4000) / 100 + 0.05 for _ in range(2000)]  # ties in decimal
    ours = revival_ranking.round1(np.array(values))
    assert ours.tolist() == [round(v, 1) for v in values]

    class P:
        def __init__(self, kind, filed):
            self.patent_type, self.filing_date = kind, filed

    dates = [date(2020, 2, 29), date(2016, 2, 29), date(2019, 12, 31), None, date(9999, 1, 1),
             date(1899, 5, 5), date(1900, 1, 1), date(2100, 12, 31)]
    dates += [date(2000, 1, 1) + timedelta(days=rng.randrange(0, 9000)) for _ in range(500)]
    kinds = [rng.choice(list(PatentType)) for _ in dates]
    filed = revival_ranking._plausible(revival_ranking._dates(dates))
    years = np.array([{PatentType.INVENTION: 20, PatentType.UTILITY: 10,
                       PatentType.DESIGN: 15}[k] for k in kinds])
    ends = revival_ranking.term_ends(filed, years)
    expected = [term_end(P(k, d)) for k, d in zip(kinds, dates, strict=True)]
    assert [None if np.isnat(e) else e.astype(object) for e in ends] == expected


def test_a_scope_without_dormant_patents_ranks_nothing(db_app):
    uni = f.org(OrgKind.UNIVERSITY)
    user = f.user(Role.UNIVERSITY, uni)
    db.session.commit()
    ranking = rank_dormant(user, TODAY, include_unrevivable=True)
    assert len(ranking) == 0 and ranking.urgent == 0 and list(ranking) == []


def test_turning_pages_reuses_the_scores_but_never_shows_a_patent_that_left_the_scope(db_app):
    """Scoring 100k dormant patents takes over a second; pages and filters of the next minute
    reuse it. A patent revived or handed to another owner meanwhile is not shown."""
    from tests.test_page_queries import statements

    uni, other = f.org(OrgKind.UNIVERSITY), f.org(OrgKind.UNIVERSITY)
    patents = [f.patent(title=f"休眠{i}", owner=uni, filing_date=date(2020, 1, 1))
               for i in range(5)]
    demand(patents[0], [0.9, 0.8])
    broker = f.user(Role.BROKER)
    db.session.commit()
    order = [r.facts.id for r in rank_dormant(broker, TODAY, max_age=60)]
    assert order[0] == patents[0].id and len(order) == 5
    with statements() as seen:
        again = [r.facts.id for r in rank_dormant(broker, TODAY, max_age=60, urgent_only=True)]
        rows = [r.facts.id for r in rank_dormant(broker, TODAY, max_age=60)]
    assert not [s for s in seen if "GROUP BY matches.patent_id" in s], "\n".join(seen)
    assert rows == order and again == []

    patents[0].dormant = False  # revived
    patents[1].owner = other  # handed over: out of the first university's scope
    db.session.commit()
    assert [r.facts.id for r in rank_dormant(broker, TODAY, max_age=60)] == [
        p for p in order if p != patents[0].id]
    mine = f.user(Role.UNIVERSITY, uni)
    db.session.commit()
    assert patents[1].id not in [r.facts.id for r in rank_dormant(mine, TODAY, max_age=60)]

    demand(patents[4], [0.95, 0.95, 0.95])
    db.session.commit()
    assert [r.facts.id for r in rank_dormant(broker, TODAY)][0] == patents[4].id  # scored anew
    assert [r.facts.id for r in rank_dormant(broker, TODAY, max_age=60)][0] != patents[4].id
    assert [r.facts.id for r in rank_dormant(broker, TODAY + timedelta(days=1),
                                             max_age=60)][0] == patents[4].id  # a new day


def test_the_page_reuses_the_scores_for_the_configured_time_and_says_when(db_app):
    from tests.test_page_queries import statements

    uni = f.org(OrgKind.UNIVERSITY)
    f.patent(title="休眠专利", owner=uni, filing_date=date(2020, 1, 1))
    broker = f.user(Role.BROKER)
    db.session.commit()
    request_started.connect(_fresh_login_cache, db_app)
    client = db_app.test_client()
    f.login(client, broker.username)
    db_app.config["REVIVAL_CACHE_SECONDS"] = 60
    assert "评分计算于" in client.get("/revival/").text
    with statements() as seen:
        assert "休眠专利" in client.get("/revival/?page=1").text
    assert not [s for s in seen if "GROUP BY matches.patent_id" in s]
    db_app.config["REVIVAL_CACHE_SECONDS"] = 0
    with statements() as seen:
        client.get("/revival/")
    assert [s for s in seen if "GROUP BY matches.patent_id" in s]
