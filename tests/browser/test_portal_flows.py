"""Broker and enterprise journeys through the portal in headless Chromium (CSRF on)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Feedback, Match, MatchStatus, Need, RejectionReason
from tests.browser.conftest import shot
from tests.browser.seed import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, page.content()[:500]


def test_broker_works_pairs_to_registration_and_rejection(live_app, base_url, new_page):
    ids = live_app.extensions["e2e_seed"]
    page = new_page()
    log_in(page, base_url, "e2e-broker")
    assert page.url.endswith("/queue/")  # the broker's home
    assert page.locator("h1").first.inner_text().startswith("待审队列")  # then the count
    shot(page, "queue")

    page.click(f'a[href="/queue/{ids["to_sign"]}"] >> nth=0')
    assert page.locator("svg.chart").count() >= 1
    assert page.locator(".need-side mark", has_text="钕铁硼").count() >= 1
    shot(page, "pair")

    page.click("#recommended-submit")  # a review decision moves on to the next pair
    page.wait_for_load_state()
    assert page.url.endswith(f"/queue/{ids['to_reject']}")
    assert page.locator(".flash-success").count() == 1
    page.goto(f"{base_url}/queue/{ids['to_sign']}")
    for target in ("contacted", "negotiating"):  # working the pair further stays on it
        page.click(f"#{target}-submit")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1
    page.fill("#signed-contract_amount", "")
    page.click("#signed-submit")  # no amount: refused next to the field
    assert page.locator("#signed-contract_amount-err").is_visible()
    page.fill("#signed-contract_amount", "85.5")
    page.click("#signed-submit")
    page.wait_for_load_state()
    assert page.input_value("#registered-contract_amount") == "85.50"  # carried over
    page.fill("#registered-contract_number", "150203202600123")
    page.click("#registered-submit")
    page.wait_for_load_state()
    assert page.locator("h1 .badge").inner_text() == "已登记"
    assert page.locator(".timeline li").count() == 6  # proposed + five moves
    shot(page, "pair-registered")

    page.goto(f"{base_url}/queue/{ids['to_reject']}")
    page.select_option("#rejected-rejection_reason", "price_terms")
    page.fill("#rejected-note", "企业预算不足")
    page.click("#rejected-submit")
    page.wait_for_load_state()
    assert page.url.endswith("/queue/")  # the last pair of the queue: back to the (empty) queue
    page.goto(f"{base_url}/queue/{ids['to_reject']}")
    assert page.locator("h1 .badge").inner_text() == "已拒绝"

    page.goto(f"{base_url}/pipeline/")
    assert page.locator(f'#col-registered ~ article a[href="/queue/{ids["to_sign"]}?via=board"]').count() == 1
    shot(page, "board")

    page.goto(f"{base_url}/dashboard/")
    assert page.locator("#kpi-deals").inner_text() == "1"
    assert page.locator("svg.chart").count() >= 6
    shot(page, "dashboard")

    with live_app.app_context():
        signed = db.session.get(Match, ids["to_sign"])
        rejected = db.session.get(Match, ids["to_reject"])
        assert signed.status is MatchStatus.REGISTERED and signed.contract_number == "150203202600123"
        assert len(signed.history) == 5
        assert rejected.status is MatchStatus.REJECTED
        assert rejected.rejection_reason is RejectionReason.PRICE_TERMS
        assert signed.need.status.value == "matched"
        db.session.remove()


def test_enterprise_need_gets_matched_and_recommended(live_app, base_url, new_page):
    enterprise = new_page()
    log_in(enterprise, base_url, "e2e-enterprise")
    enterprise.goto(f"{base_url}/needs/new")
    enterprise.fill("#title", "稀土抛光粉废料回收技术需求")
    enterprise.fill("#description", "我公司每年产生稀土抛光粉废料约200吨，希望引进回收技术，降低成本。")
    enterprise.fill("#technical_field", "资源综合利用")
    enterprise.fill("#keywords", "稀土, 抛光粉, 回收")
    enterprise.click("#submit")
    enterprise.wait_for_load_state()
    match = re.search(r"/needs/(\d+)$", enterprise.url)
    assert match, enterprise.url
    need_id = int(match.group(1))
    shot(enterprise, "need-posted")

    with live_app.app_context():
        pairs = db.session.scalars(
            select(Match).where(Match.need_id == need_id).order_by(Match.rank)).all()
        assert pairs, "posting the need stored no candidate pairs"
        top = pairs[0]
        assert top.status is MatchStatus.CANDIDATE
        top_id, top_title = top.id, top.patent.title
        assert db.session.get(Need, need_id).enterprise.name == "包头稀土磁材有限公司"
        db.session.remove()

    enterprise.goto(f"{base_url}/recommendations/")
    assert enterprise.locator(f"#m{top_id}").count() == 0  # not before a broker recommends it

    broker = new_page()
    log_in(broker, base_url, "e2e-broker")
    broker.goto(f"{base_url}/queue/?field=资源综合利用")
    broker.click(f'a[href^="/queue/{top_id}?q="] >> nth=0')  # the link carries the filters
    broker.click("#recommended-submit")
    broker.wait_for_load_state()
    broker.goto(f"{base_url}/queue/{top_id}")
    assert broker.locator("h1 .badge").inner_text() == "已推荐"

    enterprise.goto(f"{base_url}/recommendations/")
    card = enterprise.locator(f"#m{top_id}")
    assert card.count() == 1
    assert top_title.replace("<mark>", "") in re.sub(r"\s+", "", card.locator("h3").inner_text())
    assert "0472-5550002" not in enterprise.content()  # the university's phone stays hidden
    card.locator(f"#m{top_id}-feedback-0").check()
    card.locator(f"#m{top_id}-submit").click()
    enterprise.wait_for_load_state()
    assert enterprise.locator(".flash-success").count() == 1
    shot(enterprise, "recommendations")

    with live_app.app_context():
        assert db.session.get(Match, top_id).enterprise_feedback is Feedback.INTERESTED
        db.session.remove()


def test_a_need_page_updates_itself_when_its_matching_ends(live_app, base_url, new_page):
    """The page said 正在匹配专利 until the enterprise reloaded it (QA, stop 34): now it asks
    while the need's matching job runs and shows the candidates' stage once it has ended."""
    from matchmaker.records import Job, JobStatus, User
    from tests import factories as f

    with live_app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "e2e-enterprise"))
        need_id = f.need("煤矸石制备陶粒的技术需求", enterprise=owner.organization).id
        job = Job(kind="match_need", params={"need_id": need_id}, status=JobStatus.RUNNING)
        db.session.add(job)
        db.session.commit()
        job_id = db.session.scalar(select(Job.id).where(Job.id == job.id))
        db.session.remove()
    page = new_page()
    log_in(page, base_url, "e2e-enterprise")
    page.goto(f"{base_url}/needs/{need_id}")
    status = page.locator(".need-status")
    assert "正在匹配专利" in status.inner_text()
    with live_app.app_context():  # the job ends with a candidate stored
        from matchmaker.records import Patent

        patent = db.session.scalars(select(Patent)).first()
        db.session.add(Match(need_id=need_id, patent_id=patent.id, score=0.5, rank=1,
                             status=MatchStatus.CANDIDATE))
        db.session.get(Job, job_id).status = JobStatus.SUCCEEDED
        db.session.commit()
        db.session.remove()
    from playwright.sync_api import expect

    expect(page.locator(".need-status")).to_contain_text("候选已生成", timeout=15_000)
    assert page.locator("[data-progress-url]").count() == 0  # nothing more to ask
