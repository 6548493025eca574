"""The pair page's history says who a pair was assigned to, in words and with the brokers'
display names of today, not the stored "assign: - -> broker1 (...)"."""

from __future__ import annotations

import re
from html import unescape

import pytest

from matchmaker.extensions import db
from matchmaker.records import MatchHistory, MatchStatus
from matchmaker.services import assignment_history, pipeline
from tests.pairs import cast, client_as

S = MatchStatus


@pytest.fixture
def people(db_app):
    p = cast()
    p["admin"].display_name = "王海峰"
    p["broker"].display_name = "张三"
    p["other_broker"].display_name = "刘晓燕"
    db.session.commit()
    return p


def _history(client, match_id: int, lang: str | None = None) -> list[str]:
    if lang:
        client.post(f"/auth/language/{lang}")
    html = client.get(f"/queue/{match_id}").get_data(as_text=True)
    block = html[html.index('<ol class="timeline">'):]
    block = block[:block.index("</ol>")]
    items = re.findall(r"<li>(.*?)</li>", block, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def test_assignments_read_as_sentences_in_the_screens_language(people, db_app):
    match = people["match"]
    pipeline.assign(match, people["broker"], people["admin"], reason="熟悉稀土")
    pipeline.assign(match, people["other_broker"], people["admin"])
    client = client_as(db_app, "admin1")
    zh = _history(client, match.id)
    assert any(line.endswith("王海峰：分配给 张三（熟悉稀土）") for line in zh), zh
    assert any(line.endswith("王海峰：由 张三 改派给 刘晓燕") for line in zh), zh
    en = _history(client, match.id, "en")
    assert any(line.endswith("王海峰: assigned to 张三 (熟悉稀土)") for line in en), en
    assert any(line.endswith("王海峰: reassigned from 张三 to 刘晓燕") for line in en), en
    assert not any("assign:" in line or "->" in line or "broker1" in line for line in zh + en)


def test_names_are_those_of_today_and_stored_rows_stay_readable(people, db_app):
    match = people["match"]
    # rows as older versions stored them: usernames, "-" for nobody, the reason in brackets
    for reason in ("assign: - -> broker1 (She covers hydrogen)", "assign: broker1 -> gone-user",
                   "assign: broker2 -> -", "assign: by hand"):
        db.session.add(MatchHistory(match_id=match.id, actor_id=people["admin"].id,
                                    from_status=S.CANDIDATE, to_status=S.CANDIDATE, reason=reason))
    people["broker"].display_name = "张晓明"  # renamed after the assignment
    db.session.commit()
    lines = _history(client_as(db_app, "admin1"), match.id, "en")[1:]
    assert lines[0].endswith("王海峰: assigned to 张晓明 (She covers hydrogen)"), lines
    assert lines[1].endswith("王海峰: reassigned from 张晓明 to gone-user"), lines  # deleted since
    assert lines[2].endswith("王海峰: unassigned from 刘晓燕"), lines
    assert lines[3].endswith("王海峰: assigned the pair (by hand)"), lines


def test_the_stored_reason_keeps_its_form_for_the_api(people):
    """The API returns the reason as stored, and older rows parse the same way."""
    match = people["match"]
    row = pipeline.assign(match, people["broker"], people["admin"], reason="熟悉 (稀土)")
    assert row.reason == "assign: - -> broker1 (熟悉 (稀土))"
    assert assignment_history.parse_assignment(row) == assignment_history.Assignment(None, "broker1", "熟悉 (稀土)")
    assert pipeline.split_history_reason(row) == (None, "assigned to 张三 (熟悉 (稀土))")
    move = MatchHistory(match_id=match.id, from_status=S.CANDIDATE, to_status=S.REJECTED,
                        reason="assign: not an assignment")
    assert assignment_history.parse_assignment(move) is None
