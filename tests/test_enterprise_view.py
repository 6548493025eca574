"""Each role its own view (issue 10, point 6): an enterprise sees where its need stands,
never the candidates, their scores or the engine's channels; the ranking pages are internal."""

from __future__ import annotations

import pytest
from flask import g

from matchmaker.extensions import db
from matchmaker.records import Match, MatchStatus, NeedStatus, OrgKind, Role
from tests import factories as f


@pytest.fixture
def world(app):
    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)

    ent = f.org(OrgKind.ENTERPRISE, name="包头某钢铁公司")
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古某大学")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    f.user(Role.UNIVERSITY, uni, username="uni1")
    f.user(Role.BROKER, username="broker1")
    need = f.need("高炉煤气余热回收需求", enterprise=ent)
    patents = [f.patent(f"一种余热回收装置{i}", owner=uni) for i in range(4)]
    db.session.commit()
    return {"app": app, "need": need, "patents": patents}


def _pair(need, patent, status, rank):
    db.session.add(Match(need=need, patent=patent, score=0.9 - rank / 10, rank=rank,
                         channel_scores={"dense:use-multilingual": 0.77, "bm25": 0.31},
                         explanation={"shared_terms": ["余热"]}, status=status))
    db.session.commit()


def signed_in(app, username):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    return client


def test_candidates_only_show_as_awaiting_the_brokers_review(world):
    need, patents = world["need"], world["patents"]
    for rank, patent in enumerate(patents, start=1):
        _pair(need, patent, MatchStatus.CANDIDATE, rank)
    html = signed_in(world["app"], "ent1").get(f"/needs/{need.id}").text
    assert "候选已生成，待经纪人审核" in html
    assert "暂未推荐专利" in html
    for patent in patents:  # no candidate, score or channel leaks
        assert patent.title not in html and patent.publication_number not in html
    assert "0.800" not in html and "dense" not in html and "bm25" not in html
    assert "待审队列" not in html and "/matches" not in html


def test_candidates_found_from_the_patent_side_do_not_hide_the_needs_own_matching(world):
    """QA pass 6 (D8): the page said 候选已生成 from three weak pairs that newly listed
    patents had found, while the need's own matching job still waited in the queue."""
    from matchmaker.records import Job, JobStatus

    need, patents = world["need"], world["patents"]
    _pair(need, patents[0], MatchStatus.CANDIDATE, 1)
    client = signed_in(world["app"], "ent1")
    assert "平台仍在为这条需求匹配专利" not in client.get(f"/needs/{need.id}").text
    job = Job(kind="match_need", params={"need_id": need.id}, status=JobStatus.QUEUED)
    other = Job(kind="index_imported", status=JobStatus.RUNNING,
                params={"kind": "patents", "ids": [need.id], "created": []})  # patents' ids
    db.session.add_all([job, other])
    db.session.commit()
    html = client.get(f"/needs/{need.id}").text
    assert "候选已生成，待经纪人审核" in html and "平台仍在为这条需求匹配专利" in html
    job.status = JobStatus.SUCCEEDED
    db.session.commit()
    assert "平台仍在为这条需求匹配专利" not in client.get(f"/needs/{need.id}").text
    other.params = {"kind": "needs", "ids": [need.id], "created": [need.id]}  # an import's share
    db.session.commit()
    assert "平台仍在为这条需求匹配专利" in client.get(f"/needs/{need.id}").text


def test_recommended_pairs_are_counted_and_listed_without_scores(world):
    need, patents = world["need"], world["patents"]
    _pair(need, patents[0], MatchStatus.RECOMMENDED, 1)
    _pair(need, patents[1], MatchStatus.NEGOTIATING, 2)
    _pair(need, patents[2], MatchStatus.CANDIDATE, 3)
    _pair(need, patents[3], MatchStatus.REJECTED, 4)
    html = signed_in(world["app"], "ent1").get(f"/needs/{need.id}").text
    assert "已推荐 2 项" in html and "另有候选仍在经纪人审核中" in html
    assert patents[0].title in html and patents[1].title in html
    assert patents[2].title not in html and patents[3].title not in html
    assert 'class="score"' not in html and "0.800" not in html
    # The broker's view of the same need keeps the scores and the engine's button.
    broker = signed_in(world["app"], "broker1").get(f"/needs/{need.id}").text
    assert 'class="score"' in broker and f"/needs/{need.id}/matches" in broker


def test_a_need_without_candidates_says_matching_is_under_way(world):
    html = signed_in(world["app"], "ent1").get(f"/needs/{world['need'].id}").text
    assert "正在匹配专利" in html
    world["need"].status = NeedStatus.CLOSED
    db.session.commit()
    html = signed_in(world["app"], "ent1").get(f"/needs/{world['need'].id}").text
    assert "不再生成新的候选" in html


def test_ranking_pages_are_internal(world):
    need, patent = world["need"], world["patents"][0]
    _pair(need, patent, MatchStatus.RECOMMENDED, 1)
    ent = signed_in(world["app"], "ent1")
    assert ent.get(f"/needs/{need.id}/matches").status_code == 403
    assert ent.get(f"/patents/{patent.id}/matches").status_code == 403
    uni = signed_in(world["app"], "uni1")
    assert uni.get(f"/patents/{patent.id}/matches").status_code == 403
    assert uni.get(f"/needs/{need.id}/matches").status_code == 403
    assert ent.get("/queue/").status_code == 403 and uni.get("/queue/").status_code == 403


def _progress_cells(html: str) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<td class="need-progress"[^>]*>(.*?)</td>', html, re.S)]


def test_my_needs_list_states_each_needs_progress_as_its_page_does(world):
    need, patents = world["need"], world["patents"]
    ent = world["need"].enterprise
    waiting = f.need("煤矸石综合利用需求", enterprise=ent)
    reviewed = f.need("稀土抛光粉回收需求", enterprise=ent)
    db.session.commit()
    for rank, patent in enumerate(patents, start=1):  # four candidates: "in review", no count
        _pair(need, patent, MatchStatus.CANDIDATE, rank)
    _pair(reviewed, patents[0], MatchStatus.RECOMMENDED, 1)
    _pair(reviewed, patents[1], MatchStatus.SIGNED, 2)
    _pair(reviewed, patents[2], MatchStatus.CANDIDATE, 3)
    client = signed_in(world["app"], "ent1")
    listing = client.get("/needs/").text
    assert "<th scope=\"col\">匹配进展</th>" in listing
    rows = dict(zip([n.title for n in (need, waiting, reviewed)], [None] * 3, strict=True))
    for title in rows:
        start = listing.index(title)
        rows[title] = _progress_cells(listing[start:listing.index("</tr>", start)])
    assert rows == {need.title: ["候选已生成，待经纪人审核"], waiting.title: ["正在匹配专利"],
                    reviewed.title: ["已推荐 2 项"]}
    assert "4" not in "".join(rows[need.title])  # never the number of candidates waiting
    for one in (need, reviewed):  # the same words as the need's own page
        page = client.get(f"/needs/{one.id}").text
        assert rows[one.title][0] in page
    client.post("/auth/language/en")
    english = _progress_cells(client.get("/needs/").text)
    assert sorted(english) == ["Candidates found, awaiting the broker's review",
                               "Looking for matching patents", "Recommended: 2 patents"]


def test_the_progress_column_is_the_enterprises_alone(world):
    _pair(world["need"], world["patents"][0], MatchStatus.CANDIDATE, 1)
    html = signed_in(world["app"], "broker1").get("/needs/").text
    assert world["need"].title in html
    assert "need-progress" not in html and "匹配进展" not in html


def test_being_matched_finds_the_needs_own_job_and_its_import_share_on_every_database(db_app):
    """The jobs are picked by their parameters in SQL (JSON on SQLite and PostgreSQL): the
    need's own matching, a share of a needs import that holds it, never a patents share that
    happens to hold the same number nor another need's job."""
    from matchmaker.records import Job, JobStatus
    from matchmaker.services.need_progress import being_matched

    def job(kind, params, status=JobStatus.QUEUED):
        row = Job(kind=kind, params=params, status=status)
        db.session.add(row)
        db.session.commit()
        return row

    job("match_need", {"need_id": 8})
    job("index_imported", {"kind": "patents", "ids": [7, 9], "created": []}, JobStatus.RUNNING)
    job("index_imported", {"kind": "needs", "ids": [9], "created": []},
        JobStatus.SUCCEEDED)  # done: no longer matching
    assert not being_matched(7) and not being_matched(9) and being_matched(8)
    share = job("index_imported", {"kind": "needs", "ids": [5, 7], "created": [7]})
    assert being_matched(7) and not being_matched(9)
    share.status = JobStatus.RUNNING
    db.session.commit()
    assert being_matched(5)
    own = job("match_need", {"need_id": 9, "announce": True}, JobStatus.RUNNING)
    assert being_matched(9)
    own.status = JobStatus.FAILED
    db.session.commit()
    assert not being_matched(9)


def test_the_need_page_asks_how_its_matching_stands_while_it_runs(world):
    """QA, stop 34: the page said 正在匹配专利 until reloaded by hand, long after candidates
    existed. While a job matches the need, the page carries the address it polls (and loads
    need-progress.js); the address answers the stage and whether the job still runs."""
    from matchmaker.records import Job, JobStatus

    need = world["need"]
    client = signed_in(world["app"], "ent1")
    page = client.get(f"/needs/{need.id}").text
    assert "data-progress-url" not in page and "need-progress.js" not in page  # nothing runs
    job = Job(kind="match_need", params={"need_id": need.id}, status=JobStatus.RUNNING)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/needs/{need.id}").text
    url = f"/needs/{need.id}/progress"
    assert f'data-progress-url="{url}" data-stage="waiting"' in page and "need-progress.js" in page
    assert client.get(url).get_json() == {"stage": "waiting", "being_matched": True}
    _pair(need, world["patents"][0], MatchStatus.CANDIDATE, 1)  # a candidate is stored
    job.status = JobStatus.SUCCEEDED
    db.session.commit()
    assert client.get(url).get_json() == {"stage": "in_review", "being_matched": False}
    # the stage of a need the user may not see, or asked by another role: refused
    assert signed_in(world["app"], "broker1").get(url).status_code == 403
    assert signed_in(world["app"], "uni1").get(url).status_code == 403
