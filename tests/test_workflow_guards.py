"""Workflow holes: a need with a signed contract cannot be reopened (issue 14, point 6)."""

from __future__ import annotations

import pytest

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import MatchStatus, NeedStatus
from matchmaker.services import records
from matchmaker.services.pipeline import move
from tests.pairs import cast, client_as


def _signed(people):
    m = people["match"]
    for to in (MatchStatus.RECOMMENDED, MatchStatus.CONTACTED, MatchStatus.NEGOTIATING):
        move(m, to, None)
    move(m, MatchStatus.SIGNED, None, contract_amount="10")
    return m


def test_reopening_a_need_with_a_signed_contract_is_refused(app):
    people = cast()
    _signed(people)
    need = people["need"]
    assert need.status is NeedStatus.MATCHED
    client = client_as(app, "ent1")
    closed = client.post(f"/needs/{need.id}/status/closed")
    assert closed.status_code == 302
    response = client.post(f"/needs/{need.id}/status/open", follow_redirects=True)
    db.session.refresh(need)
    assert need.status is NeedStatus.CLOSED  # unchanged by the refused reopen
    assert "已签约" in response.get_data(as_text=True)
    with pytest.raises(ValidationError):
        records.set_need_status(need, NeedStatus.OPEN, actor=people["enterprise"])


def test_a_need_without_a_signed_contract_reopens(app):
    people = cast()
    need = people["need"]
    client = client_as(app, "ent1")
    client.post(f"/needs/{need.id}/status/closed")
    client.post(f"/needs/{need.id}/status/open")
    db.session.refresh(need)
    assert need.status is NeedStatus.OPEN
