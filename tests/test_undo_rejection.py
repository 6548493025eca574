"""Undoing a patent- or need-level rejection (stop 36's leftover: one tap on 需求已解决 closed 31
pairs with no way back but reopening each as 待审): the broker who chose the reason, or an
administrator, puts the pair and every pair it closed back at their stages, within
``UNDO_SECONDS``; pairs moved since keep what happened to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from matchmaker.errors import PermissionDenied, TransitionError
from matchmaker.extensions import db
from matchmaker.records import (
    LegalStatus,
    Match,
    MatchHistory,
    MatchStatus,
    Notification,
    Patent,
    RejectionReason,
)
from matchmaker.services import pipeline, stale, undo
from tests.pairs import cast, client_as, pair

S = MatchStatus
R = RejectionReason


@pytest.fixture
def people(db_app):
    return cast()


@pytest.fixture
def rejected(people):
    """broker1 rejects the cast's pair as 权利人不许可: three other open pairs of the patent, at
    three stages, go with it; a signed pair and a pair of another patent stay."""
    patent = people["patent"]
    others = [pair(patent=patent), pair(patent=patent, status=S.RECOMMENDED),
              pair(patent=patent, status=S.CONTACTED)]
    untouched = [pair(patent=patent, status=S.SIGNED), pair()]
    db.session.commit()
    done = pipeline.move_reported(people["match"], S.REJECTED, people["broker"],
                                  rejection_reason=R.OWNER_REFUSES, note="权利人书面答复")
    assert len(done.cascaded) == 3
    return {"history_id": done.history.id, "others": others, "untouched": untouched}


def _status(match: Match) -> MatchStatus:
    db.session.refresh(match)
    return match.status


def _latest(match: Match) -> MatchHistory:
    return db.session.scalars(select(MatchHistory).where(MatchHistory.match_id == match.id)
                              .order_by(MatchHistory.id.desc()).limit(1)).one()


def test_the_cascaded_pairs_name_the_rejection_that_closed_them(people, rejected):
    for match in rejected["others"]:
        assert _latest(match).cause_id == rejected["history_id"]
    assert _latest(people["match"]).cause_id is None


def test_undo_puts_every_pair_back_at_its_stage_with_its_rejection_cleared(people, rejected):
    match = people["match"]
    done = undo.undo_rejection(match.id, rejected["history_id"], people["broker"])
    assert len(done.moves) == 4 and done.kept == 0
    expected = [S.CANDIDATE, S.CANDIDATE, S.RECOMMENDED, S.CONTACTED]
    for pair_, stage in zip([match, *rejected["others"]], expected, strict=True):
        assert _status(pair_) is stage
        assert pair_.rejection_reason is None and pair_.rejection_note is None
        last = _latest(pair_)
        assert (last.from_status, last.to_status) == (S.REJECTED, stage)
        assert last.reason == undo.UNDONE and last.actor_id == people["broker"].id
    assert [_status(m) for m in rejected["untouched"]] == [S.SIGNED, S.CANDIDATE]
    assert stale.refusal(match) is None  # the patent is offered again
    with pytest.raises(TransitionError):  # and a second undo finds nothing to undo
        undo.undo_rejection(match.id, rejected["history_id"], people["broker"])


def _reopen_by_hand(match: Match, reason: str) -> None:
    """Reopen a pair around the pipeline's checks (which refuse it while the patent stays
    withdrawn): the pair moved since, as far as undo can tell."""
    db.session.execute(update(Match).where(Match.id == match.id).values(
        status=S.CANDIDATE, rejection_reason=None, rejection_note=None))
    db.session.add(MatchHistory(match_id=match.id, from_status=S.REJECTED, to_status=S.CANDIDATE,
                                actor_id=None, reason=reason))
    db.session.commit()


def test_a_pair_moved_since_keeps_its_move(people, rejected):
    reopened = rejected["others"][1]
    _reopen_by_hand(reopened, "权利人同意单独许可")
    done = undo.undo_rejection(people["match"].id, rejected["history_id"], people["broker"])
    assert len(done.moves) == 3 and done.kept == 1
    assert _status(reopened) is S.CANDIDATE  # as reopened, not back at 已推荐
    assert _latest(reopened).reason == "权利人同意单独许可"


def test_another_broker_may_not_undo_it_and_an_administrator_may(people, rejected):
    with pytest.raises(PermissionDenied):
        undo.undo_rejection(people["match"].id, rejected["history_id"], people["other_broker"])
    assert _status(people["match"]) is S.REJECTED
    done = undo.undo_rejection(people["match"].id, rejected["history_id"], people["admin"])
    assert len(done.moves) == 4


def test_it_cannot_be_undone_after_the_window(people, rejected, db_app):
    db_app.config["UNDO_SECONDS"] = 600
    row = db.session.get(MatchHistory, rejected["history_id"])
    row.at -= timedelta(seconds=601)
    db.session.commit()
    with pytest.raises(TransitionError, match="no longer be undone"):
        undo.undo_rejection(people["match"].id, rejected["history_id"], people["broker"])
    assert all(_status(m) is S.REJECTED for m in [people["match"], *rejected["others"]])


def test_it_cannot_be_undone_once_the_pair_itself_moved(people, rejected):
    _reopen_by_hand(people["match"], "重新评估")
    with pytest.raises(TransitionError):
        undo.undo_rejection(people["match"].id, rejected["history_id"], people["broker"])
    assert all(_status(m) is S.REJECTED for m in rejected["others"])


def test_a_rejection_of_one_pair_only_is_not_undone_this_way(people):
    done = pipeline.move_reported(people["match"], S.REJECTED, people["broker"],
                                  rejection_reason=R.NOT_RELEVANT)
    with pytest.raises(TransitionError):  # reopening with a reason is its way back
        undo.undo_rejection(people["match"].id, done.history.id, people["broker"])
    with pytest.raises(TransitionError):  # a history row of another pair
        undo.undo_rejection(people["match"].id + 1, done.history.id, people["broker"])


def test_nothing_comes_back_when_the_patent_lapsed_meanwhile(people, rejected):
    db.session.execute(update(Patent).where(Patent.id == people["patent"].id)
                       .values(legal_status=LegalStatus.LAPSED))
    db.session.commit()
    with pytest.raises(TransitionError, match="no longer in force"):
        undo.undo_rejection(people["match"].id, rejected["history_id"], people["broker"])
    assert all(_status(m) is S.REJECTED for m in [people["match"], *rejected["others"]])


def test_a_need_level_rejection_comes_back_except_a_pair_whose_patent_lapsed(people):
    need = people["need"]
    others = [pair(need=need), pair(need=need, status=S.NEGOTIATING)]
    db.session.commit()
    done = pipeline.move_reported(people["match"], S.REJECTED, people["broker"],
                                  rejection_reason=R.ALREADY_SOLVED)
    db.session.execute(update(Patent).where(Patent.id == others[0].patent_id)
                       .values(legal_status=LegalStatus.EXPIRED))
    db.session.commit()
    result = undo.undo_rejection(people["match"].id, done.history.id, people["broker"])
    assert (len(result.moves), result.kept) == (2, 1)
    assert [_status(m) for m in (people["match"], *others)] == [S.CANDIDATE, S.REJECTED,
                                                                S.NEGOTIATING]
    # the pair left rejected says why now; kept as "already solved" it would withdraw the need
    assert others[0].rejection_reason is R.PATENT_NOT_IN_FORCE
    assert _latest(others[0]).reason == "patent_not_in_force: legal status: expired"
    assert stale.refusal(people["match"]) is None


def test_the_page_after_the_rejection_offers_the_undo_once_and_it_works(people, db_app):
    patent = people["patent"]
    others = [pair(patent=patent), pair(patent=patent, status=S.RECOMMENDED)]
    db.session.commit()
    client = client_as(db_app, "broker1")
    match_id = people["match"].id
    page = client.post(f"/pipeline/{match_id}/move/rejected", data={
        "rejected-rejection_reason": "owner_refuses", "rejected-seen_status": "candidate"},
        follow_redirects=True).text
    assert "同一原因还拒绝了该专利的另外 2 个进行中配对。" in page
    assert "选错了原因？15 分钟内可以撤销" in page
    assert f'action="/pipeline/{match_id}/undo"' in page
    history_id = _latest(people["match"]).id
    assert f'name="undo-rejection" value="{history_id}"' in page
    assert "undo-rejection" not in client.get(f"/queue/{match_id}").text  # offered once
    # another broker's forged post changes nothing
    forged = client_as(db_app, "broker2").post(f"/pipeline/{match_id}/undo", data={
        "undo-rejection": str(history_id)})
    assert forged.status_code in (403, 404)
    assert _status(people["match"]) is S.REJECTED
    assert client.post(f"/pipeline/{match_id}/undo", data={}).status_code == 400
    answer = client.post(f"/pipeline/{match_id}/undo", data={
        "undo-rejection": str(history_id)},
        follow_redirects=True)
    assert answer.status_code == 200
    assert answer.request.path == f"/queue/{match_id}"  # the pair itself: choose again
    assert "已撤销：3 个配对回到原来的阶段。" in answer.text
    assert "已撤销拒绝" in answer.text  # the history line, in Chinese
    assert [_status(m) for m in (people["match"], *others)] == [S.CANDIDATE, S.CANDIDATE,
                                                                S.RECOMMENDED]
    again = client.post(f"/pipeline/{match_id}/undo", data={
        "undo-rejection": str(history_id)},
        follow_redirects=True)
    assert "这次拒绝已不能撤销。" in again.text


def test_a_recommendation_put_back_is_not_announced_to_the_enterprise_again(people):
    need = people["need"]
    recommended = pair(need=need)
    db.session.commit()
    pipeline.move(recommended, S.RECOMMENDED, people["broker"])  # ent1 is told, once
    told = select(Notification).where(Notification.user_id == people["enterprise"].id)
    assert len(db.session.scalars(told).all()) == 1
    done = pipeline.move_reported(people["match"], S.REJECTED, people["broker"],
                                  rejection_reason=R.ALREADY_SOLVED)
    undone = undo.undo_rejection(people["match"].id, done.history.id, people["broker"])
    assert [m.restored for m in undone.moves] == [True, True]
    assert _status(recommended) is S.RECOMMENDED
    assert len(db.session.scalars(told).all()) == 1  # not a second "a broker recommends"
