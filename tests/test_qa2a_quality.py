"""The quality page after the QA report: the conversion table heads its last column as a
conversion rate, and the reranker is offered for training only with enough labelled decisions
(fewer: the button is disabled with the count, and a forged POST queues nothing)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.learning import schedule
from matchmaker.learning.dataset import labelled
from matchmaker.portal.quality import views
from matchmaker.records import Job, MatchStatus, Role
from tests import factories as f
from tests.pairs import client_as, pair

QUALITY = "/quality/"


def _section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def _headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col">([^<]*)</th>', html)


def _admin_with_decisions(app, decided: int = 2):
    f.user(Role.ADMIN, username="admin1")
    for i in range(decided):
        pair(score=0.9 - i / 100, status=MatchStatus.RECOMMENDED)
    pair(score=0.5)  # waiting: no decision
    db.session.commit()
    return client_as(app, "admin1")


def _jobs() -> int:
    return db.session.scalar(select(func.count(Job.id)).where(Job.kind == "train_reranker"))


# ---- C: the conversion table's rate ----


def test_the_conversion_table_heads_a_conversion_rate(app):
    client = _admin_with_decisions(app)
    html = client.get(QUALITY).get_data(as_text=True)
    assert _headers(_section(html, "conversion"))[-1] == "转化率"
    assert _headers(_section(html, "by-band"))[-1] == "接受率"  # the others stay acceptance
    english = client.get(QUALITY + "?lang=en").get_data(as_text=True)
    assert _headers(_section(english, "conversion"))[-1] == "Conversion rate"


# ---- D: no training without enough labelled decisions ----


def test_the_count_is_the_one_training_checks(app):
    _admin_with_decisions(app, decided=3)
    with app.test_request_context("/"):
        assert schedule.labelled_decisions() == 3
        assert schedule.labelled_decisions() == sum(1 for r in labelled() if r["grade"] is not None)


def test_too_few_decisions_disable_the_button_and_say_how_many(app):
    app.config["RERANK_MIN_DECISIONS"] = 200
    client = _admin_with_decisions(app, decided=2)
    models = _section(client.get(QUALITY).get_data(as_text=True), "models")
    assert "已有 2 个带标注的决定，需要 200 个才能训练。" in models
    assert "/quality/train" not in models
    assert re.search(r"<button[^>]*\bdisabled\b[^>]*>立即重新训练排序模型</button>", models)
    english = _section(client.get(QUALITY + "?lang=en").get_data(as_text=True), "models")
    assert "2 labelled decisions so far; 200 are needed to train." in english


def test_a_forged_training_request_is_refused_and_queues_nothing(app):
    app.config["RERANK_MIN_DECISIONS"] = 200
    client = _admin_with_decisions(app, decided=1)
    answer = client.post("/quality/train")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(QUALITY)
    assert "已有 1 个带标注的决定，需要 200 个才能训练。" in client.get(QUALITY).get_data(
        as_text=True)
    assert _jobs() == 0


def test_with_enough_decisions_training_is_queued(app, monkeypatch):
    app.config["RERANK_MIN_DECISIONS"] = 2
    client = _admin_with_decisions(app, decided=2)
    models = _section(client.get(QUALITY).get_data(as_text=True), "models")
    assert "/quality/train" in models and "disabled" not in models
    queued = []

    class _Job:
        id = 7

    monkeypatch.setattr(views.jobs, "submit", lambda kind, **kw: queued.append(kind) or _Job)
    answer = client.post("/quality/train")
    assert answer.status_code == 302 and "/jobs/7" in answer.headers["Location"]
    assert queued == ["train_reranker"]
