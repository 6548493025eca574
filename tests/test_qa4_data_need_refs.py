"""QA pass 4 (data), section 5: a need number (external_ref) is one number whatever its case
or width, in the form, the API and the import alike (``validators.need_ref``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker import validators
from matchmaker.extensions import db
from matchmaker.ingest import import_needs
from matchmaker.records import Need, OrgKind, Role
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.pairs import client_as

HEADER = "需求编号,需求名称,需求描述\n"
TAKEN = "该需求编号已被其他需求使用。"


@pytest.fixture
def web(db_app):
    client_as(db_app, None)  # every request starts without another client's cached user
    return db_app


@pytest.fixture
def ent(web):
    user = f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE, name="包头磁材公司"),
                  username="ent-refs")
    f.need("已有需求", enterprise=user.organization, external_ref="DEMO-XQ-001")
    db.session.commit()
    return user


def need_count() -> int:
    return db.session.scalar(select(func.count(Need.id)))


def need_form(**overrides) -> dict:
    data = {"title": "高矫顽力磁体", "description": "希望降低重稀土用量。", "keywords": "钕铁硼",
            "budget_min": "", "budget_max": "", "cooperation_mode": "licence",
            "deadline": (date.today() + timedelta(days=60)).isoformat(), "region_league": "",
            "region_county": "", "confidentiality": "public", "external_ref": ""}
    return {**data, **overrides}


def test_a_need_number_is_stored_after_nfkc_and_compared_without_case():
    assert validators.need_ref(" ＤＥＭＯ－ｘｑ－００２\u3000") == "DEMO-xq-002"  # case as typed
    assert validators.need_ref("  ") is None
    assert validators.need_ref_key("ＤＥＭＯ－ｘｑ－００２") == validators.need_ref_key("demo-XQ-002")


@pytest.mark.parametrize("typed", ["demo-xq-001", "ＤＥＭＯ－ＸＱ－００１", " Demo-Xq-001 "])
def test_an_import_row_updates_the_need_of_its_number_in_any_case_or_width(web, ent, typed):
    result = import_needs(f"{HEADER}{typed},已有需求,新的描述。\n".encode(), "needs.csv", actor=ent)
    assert (result.created, result.updated, result.failed) == (0, 1, 0), result.errors
    assert need_count() == 1
    need = db.session.scalar(select(Need))
    assert (need.external_ref, need.description) == ("DEMO-XQ-001", "新的描述。")
    # ...after which the portal still saves it (the QA pass found both copies blocked)
    answer = client_as(web, "ent-refs").post(
        f"/needs/{need.id}/edit", data=need_form(title="改过的需求", external_ref="DEMO-XQ-001"))
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Need, need.id).title == "改过的需求"


def test_a_new_number_from_an_import_is_stored_in_nfkc(ent):
    result = import_needs(f"{HEADER}ＱＡ－ＩＭＰ－９,新需求,描述。\n".encode(), "needs.csv", actor=ent)
    assert result.created == 1, result.errors
    assert db.session.scalar(select(Need.external_ref).where(Need.title == "新需求")) == "QA-IMP-9"


def test_two_rows_whose_numbers_differ_in_case_are_an_in_file_duplicate(ent):
    text = HEADER + "QA-IMP-1,需求甲,描述。\nqa-imp-1,需求乙,描述。\nＱＡ－ＩＭＰ－１,需求丙,描述。\n"
    result = import_needs(text.encode(), "needs.csv", actor=ent)
    assert (result.created, result.failed) == (1, 2)
    assert {(e.row, e.field) for e in result.errors} == {(3, "external_ref"), (4, "external_ref")}
    assert all("第2行" in e.reason for e in result.errors)


def test_the_number_of_another_enterprises_need_is_refused_in_any_case(ent):
    other = f.org(OrgKind.ENTERPRISE, name="鄂尔多斯化工公司")
    db.session.commit()
    text = "需求编号,企业名称,需求名称,需求描述\ndemo-xq-001,鄂尔多斯化工公司,需求,描述。\n"
    result = import_needs(text.encode(), "needs.csv")
    assert (result.created, result.failed) == (0, 1)
    assert "包头磁材公司" in result.errors[0].reason and result.errors[0].field == "external_ref"
    assert need_count() == 1
    assert db.session.scalar(select(Need.enterprise_id)) != other.id


def test_two_stored_numbers_differing_in_case_are_not_guessed_between(ent):
    """Saved before numbers were compared without case: the row must name one exactly."""
    f.need("小写的", enterprise=ent.organization, external_ref="demo-xq-001")
    db.session.commit()
    mixed = import_needs(f"{HEADER}Demo-XQ-001,需求,描述。\n".encode(), "needs.csv", actor=ent)
    assert (mixed.created, mixed.updated, mixed.failed) == (0, 0, 1)
    assert "DEMO-XQ-001" in mixed.errors[0].reason and "demo-xq-001" in mixed.errors[0].reason
    exact = import_needs(f"{HEADER}demo-xq-001,小写的,新描述。\n".encode(), "needs.csv", actor=ent)
    assert exact.updated == 1, exact.errors
    assert db.session.scalar(select(Need.description).where(Need.external_ref == "demo-xq-001")) \
        == "新描述。"


def test_needs_whose_stored_numbers_differ_in_case_stay_editable(ent, web):
    """The QA pass found both copies blocked ("该需求编号已被其他需求使用。") after an import."""
    first = db.session.scalar(select(Need))
    second = f.need("小写的", enterprise=ent.organization, external_ref="demo-xq-001")
    db.session.commit()
    client = client_as(web, "ent-refs")
    for need in (first, second):
        answer = client.post(f"/needs/{need.id}/edit",
                             data=need_form(title=f"改过的{need.id}", external_ref=need.external_ref))
        assert answer.status_code == 302, need.external_ref
    moved = client.post(f"/needs/{second.id}/edit",
                        data=need_form(title="小写的", external_ref="Demo-Xq-001"))
    assert 'id="external_ref-err"' in moved.text and TAKEN in moved.text


def test_the_form_refuses_a_full_width_copy_of_a_number_and_stores_nfkc(ent, web):
    client = client_as(web, "ent-refs")
    html = client.post("/needs/new", data=need_form(external_ref="ｄｅｍｏ－ｘｑ－００１")).text
    assert 'id="external_ref-err"' in html and TAKEN in html
    assert need_count() == 1
    assert client.post("/needs/new", data=need_form(external_ref="ＱＡ－Ｎ－００９")).status_code == 302
    assert db.session.scalar(select(Need.external_ref).order_by(Need.id.desc()).limit(1)) \
        == "QA-N-009"


def test_the_api_refuses_a_full_width_copy_of_a_number(ent, web):
    answer = web.test_client().post(
        "/api/v1/needs", json={"title": "需求", "description": "描述",
                               "external_ref": "ＤＥＭＯ－ＸＱ－００１"},
        headers=bearer(token_for(ent)))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["external_ref"]
    assert need_count() == 1
