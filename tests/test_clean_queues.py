"""Clean queues (issue 9, point 7): stale pairs leave the queue, with the reason in their history.

A patent that lapses or expires, a need that closes or is matched: their candidate pairs are
rejected with a system reason; recommending (or reopening) a stale pair is refused with a clear
message, in the service, through the API and on the pair page. Patent-level and need-level
rejection reasons apply to every open pair of that patent or need.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from matchmaker.errors import TransitionError
from matchmaker.extensions import db
from matchmaker.matching.rows import load_need_facts, load_patent_facts
from matchmaker.records import (
    LegalStatus,
    Match,
    MatchHistory,
    MatchStatus,
    NeedStatus,
    Patent,
    RejectionReason,
)
from matchmaker.services import pipeline, queue, records
from tests import factories as f
from tests.api_support import bearer, cast_with_tokens
from tests.pairs import cast, client_as, pair

S = MatchStatus
R = RejectionReason


@pytest.fixture
def people(db_app):
    return cast()


def _history(match: Match) -> list[MatchHistory]:
    return list(db.session.scalars(
        select(MatchHistory).where(MatchHistory.match_id == match.id).order_by(MatchHistory.id)))


def _withdrawn(match: Match, code: RejectionReason) -> None:
    db.session.refresh(match)
    assert match.status is S.REJECTED and match.rejection_reason is code
    last = _history(match)[-1]
    assert (last.from_status, last.to_status) == (S.CANDIDATE, S.REJECTED)
    assert last.reason.startswith(code.value) and last.actor_id is None


@pytest.mark.parametrize("status", [LegalStatus.LAPSED, LegalStatus.EXPIRED])
def test_a_patent_that_lapses_or_expires_takes_its_candidates_out_of_the_queue(people, status):
    patent, broker = people["patent"], people["broker"]
    other = pair(patent=patent)  # a second candidate of the same patent
    ongoing = pair(patent=patent, status=S.NEGOTIATING)  # a broker's to decide: kept
    untouched = pair()  # another patent
    db.session.commit()
    patent.legal_status = status
    db.session.commit()
    for match in (people["match"], other):
        _withdrawn(match, R.PATENT_NOT_IN_FORCE)
    db.session.refresh(ongoing)
    db.session.refresh(untouched)
    assert ongoing.status is S.NEGOTIATING and untouched.status is S.CANDIDATE
    shown = queue.queue_page(broker, queue.QueueFilters()).items
    assert [m.id for m in shown] == [untouched.id]


def test_a_valid_patent_edit_keeps_its_pairs(people):
    patent = people["patent"]
    patent.legal_status = LegalStatus.PENDING
    patent.title = "改了名字"
    db.session.commit()
    db.session.refresh(people["match"])
    assert people["match"].status is S.CANDIDATE


def test_a_closed_need_takes_its_candidates_out_of_the_queue(people):
    need = people["need"]
    recommended = pair(need=need, status=S.RECOMMENDED)
    db.session.commit()
    records.set_need_status(need, NeedStatus.CLOSED, actor=people["admin"])
    _withdrawn(people["match"], R.NEED_CLOSED)
    db.session.refresh(recommended)
    assert recommended.status is S.RECOMMENDED


def test_a_matched_need_takes_its_other_candidates_out_of_the_queue(people):
    need = people["need"]
    signed = pair(need=need, status=S.NEGOTIATING)
    db.session.commit()
    pipeline.move(signed, S.SIGNED, people["admin"], contract_amount="10")
    assert need.status is NeedStatus.MATCHED
    _withdrawn(people["match"], R.NEED_MATCHED)
    db.session.refresh(signed)
    assert signed.status is S.SIGNED


def _stale_without_cleanup(model, record_id: int, **values) -> None:
    """Make a record stale the way an old database or a raw SQL edit would (no hook runs)."""
    db.session.execute(update(model).where(model.id == record_id).values(**values))
    db.session.commit()
    db.session.expire_all()


def test_recommending_a_pair_of_a_lapsed_patent_is_refused_with_a_clear_message(people):
    match = people["match"]
    _stale_without_cleanup(Patent, match.patent_id, legal_status=LegalStatus.LAPSED)
    with pytest.raises(TransitionError, match="no longer in force"):
        pipeline.move(match, S.RECOMMENDED, people["broker"])
    db.session.refresh(match)
    assert match.status is S.CANDIDATE and len(_history(match)) == 0


def test_recommending_a_pair_of_a_closed_or_matched_need_is_refused(people):
    from matchmaker.records import Need

    match = people["match"]
    for status, text in ((NeedStatus.CLOSED, "need is closed"),
                         (NeedStatus.MATCHED, "already matched")):
        _stale_without_cleanup(Need, match.need_id, status=status)
        with pytest.raises(TransitionError, match=text):
            pipeline.move(match, S.RECOMMENDED, people["broker"])


def test_reopening_a_withdrawn_pair_is_refused_while_the_patent_is_dead(people):
    match, patent = people["match"], people["patent"]
    patent.legal_status = LegalStatus.EXPIRED
    db.session.commit()
    with pytest.raises(TransitionError, match="no longer in force"):
        pipeline.move(match, S.CANDIDATE, people["admin"], reason="再看看")


def test_the_api_move_endpoint_refuses_a_stale_pair_with_the_message(db_app):
    c = cast_with_tokens()
    match = c["match"]
    _stale_without_cleanup(Patent, match.patent_id, legal_status=LegalStatus.LAPSED)
    answer = db_app.test_client().post(f"/api/v1/matches/{match.id}/moves",
                                       json={"to": "recommended"},
                                       headers=bearer(c["tokens"]["broker"]))
    assert answer.status_code == 409
    assert "专利已不再有效" in answer.get_json()["detail"]  # the message, translated


def test_the_pair_page_warns_about_a_stale_pair(people, db_app):
    match = people["match"]
    _stale_without_cleanup(Patent, match.patent_id, legal_status=LegalStatus.LAPSED)
    client = client_as(db_app, "broker1")
    page = client.get(f"/queue/{match.id}?lang=en").get_data(as_text=True)
    assert 'id="stale-warning"' in page
    moved = client.post(f"/pipeline/{match.id}/move/recommended", follow_redirects=True)
    db.session.refresh(match)
    assert match.status is S.CANDIDATE
    assert "专利已不再有效" in moved.get_data(as_text=True)


@pytest.mark.parametrize("code", [R.OWNER_REFUSES, R.TRANSFERRED, R.LICENSED_EXCLUSIVELY])
def test_a_patent_level_rejection_applies_to_every_open_pair_of_the_patent(people, code):
    patent = people["patent"]
    others = [pair(patent=patent), pair(patent=patent, status=S.RECOMMENDED),
              pair(patent=patent, status=S.CONTACTED)]
    signed = pair(patent=patent, status=S.SIGNED)
    elsewhere = pair()
    db.session.commit()
    pipeline.move(people["match"], S.REJECTED, people["admin"], rejection_reason=code,
                  note="权利人书面答复")
    for match in others:
        db.session.refresh(match)
        assert match.status is S.REJECTED and match.rejection_reason is code
        assert f"#{people['match'].id}" in _history(match)[-1].reason
    for match in (signed, elsewhere):
        db.session.refresh(match)
        assert match.status is not S.REJECTED
    # and the engine proposes the patent to no need any more
    assert load_patent_facts([patent.id])[patent.id].blocked
    assert not load_patent_facts([elsewhere.patent_id])[elsewhere.patent_id].blocked


def test_a_need_level_rejection_applies_to_every_open_pair_of_the_need(people):
    need = people["need"]
    others = [pair(need=need), pair(need=need, status=S.NEGOTIATING)]
    elsewhere = pair(patent=people["patent"])
    db.session.commit()
    pipeline.move(people["match"], S.REJECTED, people["admin"],
                  rejection_reason=R.ALREADY_SOLVED)
    for match in others:
        db.session.refresh(match)
        assert match.status is S.REJECTED and match.rejection_reason is R.ALREADY_SOLVED
    db.session.refresh(elsewhere)
    assert elsewhere.status is S.CANDIDATE
    assert load_need_facts([need.id])[need.id].blocked
    with pytest.raises(TransitionError, match="already solved"):
        pipeline.move(elsewhere_of(need), S.RECOMMENDED, people["admin"])


def test_the_broker_is_told_before_and_after_what_a_need_level_rejection_takes_with_it(
        people, db_app):
    """QA, stop 35: one tap on 需求已解决 rejected 31 other pairs of the need, one of them
    recommended, and the flash said only that this pair was rejected; the others' pages read
    "same reason as pair #134" in English on a Chinese screen."""
    need = people["need"]
    others = [pair(need=need), pair(need=need, status=S.RECOMMENDED)]
    db.session.commit()
    client = client_as(db_app, "admin1")
    page = client.get(f"/queue/{people['match'].id}").text
    assert "需求已解决（整条需求）：将同时拒绝另外 2 个进行中配对" in page
    assert "权利人不许可（整件专利）" in page and "权利人不许可（整件专利）：" not in page
    answer = client.post(f"/pipeline/{people['match'].id}/move/rejected", data={
        "rejected-rejection_reason": "already_solved", "rejected-seen_status": "candidate"},
        follow_redirects=True)
    assert answer.status_code == 200
    assert "同一原因还拒绝了该需求的另外 2 个进行中配对。" in answer.text
    for match in others:
        db.session.refresh(match)
        assert match.status is S.REJECTED
    other_page = client.get(f"/queue/{others[1].id}").text
    assert f"与配对 #{people['match'].id} 的拒绝原因相同" in other_page
    assert "same reason as pair" not in other_page
    english = client_as(db_app, "admin1")
    english.post("/auth/language/en", data={"next": "/"})
    assert f"Same reason as pair #{people['match'].id}" in english.get(
        f"/queue/{others[1].id}").text


def elsewhere_of(need):
    """A new candidate pair of ``need`` (as an engine run after the rejection could add)."""
    match = pair(need=need, patent=f.patent("另一件专利"))
    db.session.commit()
    return match


def test_a_pair_level_reason_stays_with_its_pair(people):
    other = pair(patent=people["patent"])
    db.session.commit()
    pipeline.move(people["match"], S.REJECTED, people["admin"], rejection_reason=R.NOT_RELEVANT)
    db.session.refresh(other)
    assert other.status is S.CANDIDATE


def test_system_reasons_are_not_offered_to_brokers():
    from matchmaker.labels import choices

    offered = {code for code, _label in choices(RejectionReason)}
    assert {R.OWNER_REFUSES.value, R.TRANSFERRED.value, R.LICENSED_EXCLUSIVELY.value} <= offered
    assert not offered & {R.PATENT_NOT_IN_FORCE.value, R.NEED_CLOSED.value,
                          R.NEED_MATCHED.value}


def test_the_blocked_lookup_searches_the_status_reason_index_on_sqlite(app):
    """The lookup behind patent- and need-level blocks runs once per match in the batch: it
    must read the few rejected pairs through the status/reason index, never scan every pair.
    After ANALYZE over a batch's worth of candidates (one status value), SQLite chose to walk
    the whole table in id order for a DISTINCT."""
    from matchmaker.matching.rows import rejected_for
    from matchmaker.records.enums import NEED_LEVEL_REASONS, PATENT_LEVEL_REASONS

    with app.app_context():
        patents = [f.patent(f"专利{i}") for i in range(6)]
        for need in [f.need(f"需求{i}") for i in range(10)]:
            for patent in patents:
                pair(need=need, patent=patent)
        db.session.commit()
        connection = db.session.connection()
        connection.exec_driver_sql("ANALYZE")
        for column, reasons in ((Match.patent_id, PATENT_LEVEL_REASONS),
                                (Match.need_id, NEED_LEVEL_REASONS)):
            statement = rejected_for(column, reasons).compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}"))
            assert "SEARCH" in plan and "ix_matches_status_reason" in plan, plan


@pytest.mark.parametrize("change, zh, en", [
    (("patent", "legal_status", LegalStatus.LAPSED), "法律状态变为：已失效", "Legal status now: Lapsed"),
    (("need", "status", NeedStatus.CLOSED), "需求状态变为：", "Need status now: "),
])
def test_a_withdrawn_pair_says_why_in_the_screen_language(people, db_app, change, zh, en):
    """The system stores its note in English; the pair page shows it in the interface language
    (the banner and the history), never the stored code text."""
    record, field, value = change
    setattr(people[record], field, value)
    db.session.commit()
    match = people["match"]
    db.session.refresh(match)
    assert match.status is S.REJECTED
    client = client_as(db_app, "broker1")
    page = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert page.count(zh) == 2 and "status: " not in page  # banner and history
    client.post("/auth/language/en")
    english = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert english.count(en) == 2 and "status: " not in english
