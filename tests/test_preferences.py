"""Preference flags (issue 9, point 4): stored with each pair, shown translated, filterable.

The flags themselves and the tie-break bound are tested in test_matching.py; here: the batch
stores them as columns, the queue filters by each one (and keeps them through ``q`` and saved
views), and the ranked list and the pair page show them with translated labels.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from matchmaker.extensions import db
from matchmaker.matching.batch import store
from matchmaker.matching.engine import Ranked
from matchmaker.matching.rules import FLAGS, NeedFacts, PatentFacts, RuleConfig, flags
from matchmaker.records import LicenceMode, Match, SavedView
from matchmaker.services import matching, queue
from tests import factories as f
from tests.pairs import cast, client_as, pair

FAVOURABLE = flags(NeedFacts(1, region_league="包头市", budget_max=100, cooperation_mode="licence"),
                   PatentFacts(2, region_league="包头市", asking_price=20,
                               licensing_modes=("open",)), RuleConfig())
UNFAVOURABLE = flags(NeedFacts(1, region_league="包头市", budget_max=10, cooperation_mode="transfer"),
                     PatentFacts(2, region_league="北京市", asking_price=50,
                                 licensing_modes=("ordinary",)), RuleConfig())


@pytest.fixture
def people(db_app):
    return cast()


def test_the_batch_stores_every_flag_as_a_column(people):
    need, good, bad = people["need"], f.patent("好专利"), f.patent("差专利")
    ranked = [Ranked(good.id, 0.9, 1, 0.9, {}, FAVOURABLE, {"rules": FAVOURABLE}),
              Ranked(bad.id, 0.8, 2, 0.8, {}, UNFAVOURABLE, {"rules": UNFAVOURABLE})]
    store([(need.id, r.id, r) for r in ranked], "need")
    db.session.commit()
    rows = {m.patent_id: m for m in db.session.query(Match).filter(Match.need_id == need.id)}
    assert [getattr(rows[good.id], f"flag_{name}") for name in FLAGS] == [True] * 4
    assert [getattr(rows[bad.id], f"flag_{name}") for name in FLAGS] == [False] * 4


def test_the_batch_reads_only_the_rows_of_the_pairs_it_writes(people):
    """A need with many stored pairs: refreshing two of them loads those two rows, not every
    pair of the need (``flask match`` spent 60 % of its time loading and parsing them)."""
    need = people["need"]
    patents = [f.patent(f"专利{i}") for i in range(12)]
    ranked = [Ranked(p.id, 0.9 - i / 100, i + 1, 0.9, {}, FAVOURABLE, {"rules": FAVOURABLE})
              for i, p in enumerate(patents)]
    need_id, ids = need.id, [p.id for p in patents]
    before = db.session.query(Match).filter(Match.need_id == need_id).count()
    assert store([(need_id, r.id, r) for r in ranked], "need") == (12, 0)
    db.session.commit()
    db.session.expunge_all()
    loaded = []
    listen = (db.session(), "loaded_as_persistent",
              lambda _s, obj: loaded.append(obj.patent_id) if isinstance(obj, Match) else None)
    event.listen(*listen)
    try:
        assert store([(need_id, r.id, r) for r in (ranked[3], ranked[7])], "patent") == (0, 2)
    finally:
        event.remove(*listen)
    assert sorted(loaded) == sorted([ids[3], ids[7]])
    db.session.commit()
    assert db.session.query(Match).filter(Match.need_id == need_id).count() == before + 12


def _flagged(value: bool | None, **kw) -> Match:
    m = pair(**kw)
    for name in FLAGS:
        setattr(m, f"flag_{name}", value)
    return m


@pytest.mark.parametrize("name", FLAGS)
def test_the_queue_filters_by_each_flag(people, name):
    yes, no, unknown = _flagged(True), _flagged(False), _flagged(None)
    db.session.commit()
    broker = people["broker"]
    for wanted, expected in ((True, yes), (False, no)):
        page = queue.queue_page(broker, queue.QueueFilters(flags={name: wanted}))
        assert [m.id for m in page.items] == [expected.id]
    assert {m.id for m in queue.queue_page(broker, queue.QueueFilters()).items} >= {
        yes.id, no.id, unknown.id}


def test_flag_filters_survive_the_q_round_trip_and_saved_views(people, db_app):
    from matchmaker.portal.queue.views import queue_query

    filters, q = queue_query("flag_region=yes&flag_budget=no&flag_mode=&sort=age")
    assert filters.flags == {"region": True, "budget": False} and filters.sort == "age"
    assert "flag_region=yes" in q and "flag_budget=no" in q and "flag_mode" not in q
    assert queue_query(q) == (filters, q)
    assert queue_query("flag_region=maybe")[1] == ""  # not a choice: the default queue
    match = _flagged(True)
    _flagged(False)
    db.session.commit()
    client = client_as(db_app, "broker1")
    listed = client.get("/queue/?flag_open_licence=yes").get_data(as_text=True)
    assert f"/queue/{match.id}" in listed
    assert client.post("/queue/views", data={"name": "开放许可", "q": q}).status_code == 302
    assert db.session.query(SavedView).one().query == q


def test_flags_show_translated_on_the_pair_page_and_in_the_queue(people, db_app):
    match = people["match"]
    match.explanation = {**match.explanation, "rules": FAVOURABLE, "flags": FAVOURABLE}
    db.session.commit()
    client = client_as(db_app, "broker1")
    page = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert "与需求同一盟市" in page and "提供开放许可" in page and "报价在预算范围内" in page
    assert "Same region as the need" not in page
    assert "提供开放许可" in client.get("/queue/").get_data(as_text=True)
    english = client.get(f"/queue/{match.id}?lang=en")
    assert english.status_code == 200


def test_the_ranked_list_shows_the_flags(people, db_app):
    need, patent = people["need"], people["patent"]
    patent.licensing_modes = [LicenceMode.OPEN]
    db.session.commit()
    matching.rebuild_indexes()
    found = matching.match_need(need, 3)
    assert [e["rule"] for e in found[0].explanation["flags"]] == list(FLAGS)
    page = client_as(db_app, "broker1").get(f"/needs/{need.id}/matches")
    assert page.status_code == 200
    # Shown once, as a flag: not again as a rule line with its tie-break delta.
    assert page.get_data(as_text=True).count("提供开放许可") == 1
