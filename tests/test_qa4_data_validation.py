"""QA pass 4 (data), sections 9-11: IPC codes in other digit scripts, filing and grant dates
after today, a past deadline in a need import, one message for a forged league, and NaN sent
to the API as an amount."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker import validators
from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.ingest import import_needs, import_patents
from matchmaker.records import Need, Organization, OrgKind, Patent, Role
from matchmaker.services.record_checks import local_today
from tests import factories as f
from tests.api_support import bearer, token_for
from tests.pairs import client_as

IPC_ERROR = "IPC分类号格式不正确（例如 H01F 1/057）。"
FUTURE = "2099-01-01"


@pytest.fixture
def web(db_app):
    client_as(db_app, None)  # every request starts without another client's cached user
    return db_app


@pytest.fixture
def university(web):
    user = f.user(Role.UNIVERSITY, f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学"),
                  username="uni-qa4")
    db.session.commit()
    return user


@pytest.fixture
def enterprise(web):
    user = f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE, name="包头磁材公司"),
                  username="ent-qa4")
    db.session.commit()
    return user


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def errors_of(html: str, field: str) -> list[str]:
    """The messages shown under one form field."""
    found = re.search(rf'<ul class="errors" id="{field}-err">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def patent_form(**overrides) -> dict:
    data = {"publication_number": "CN119960040A", "patent_type": "invention",
            "title": "一种稀土抛光粉的再生方法", "abstract": "本发明公开了一种再生方法。",
            "legal_status": "valid", "filing_date": "2021-01-05", "grant_date": "2022-06-01",
            "fee_due_date": "", "ipc_codes": "C09K 3/14", "asking_price": "", "dormant": "y"}
    return {**data, **overrides}


def need_form(**overrides) -> dict:
    data = {"title": "高矫顽力磁体", "description": "希望降低重稀土用量。", "keywords": "钕铁硼",
            "budget_min": "", "budget_max": "", "cooperation_mode": "licence", "deadline": "",
            "region_league": "", "region_county": "", "confidentiality": "public",
            "external_ref": ""}
    return {**data, **overrides}


# -- 9. IPC codes: NFKC, then ASCII digits only --------------------------------------------------


@pytest.mark.parametrize("value", ["H٠١F 1/057", "H۰۱F 1/057", "H01F ١/٠٥٧", "H०१F 1/057"])
def test_an_ipc_code_in_other_digits_is_refused(value):
    """NFKC keeps Arabic-Indic, Persian and Devanagari digits: no IPC code has them."""
    with pytest.raises(ValidationError):
        validators.ipc_code(value)


def test_a_full_width_ipc_code_is_normalised():
    assert validators.ipc_codes("Ｈ０１Ｆ　１／０５７；ｃ２２ｃ３８／００") == ["H01F 1/057", "C22C 38/00"]


def test_the_patent_form_and_import_refuse_arabic_indic_digits_and_take_full_width(web, university):
    client = client_as(web, "uni-qa4")
    html = client.post("/patents/new", data=patent_form(ipc_codes="H٠١F 1/057")).text
    assert errors_of(html, "ipc_codes") == [IPC_ERROR] and count(Patent) == 0
    assert client.post("/patents/new", data=patent_form(ipc_codes="Ｈ０１Ｆ　１／０５７")
                       ).status_code == 302
    assert db.session.scalar(select(Patent)).ipc_codes == ["H01F 1/057"]
    text = "公开号,专利名称,摘要,IPC分类号\nCN119960041A,一种方法,本发明公开了一种方法。,H٠١F 1/057\n"
    result = import_patents(text.encode(), "p.csv", actor=university)
    assert result.failed == 1 and result.errors[0].field == "ipc_codes"


# -- 10. dates: filing and grant not after today; a past deadline in a need import ---------------


@pytest.mark.parametrize(("field", "message"), [
    ("filing_date", "申请日不能晚于今天。"), ("grant_date", "授权公告日不能晚于今天。")])
def test_the_patent_form_refuses_a_date_after_today(web, university, field, message):
    data = patent_form(**{"filing_date": "", "grant_date": "", field: FUTURE})
    html = client_as(web, "uni-qa4").post("/patents/new", data=data).text
    assert errors_of(html, field) == [message] and count(Patent) == 0


def test_the_patent_form_takes_today_and_keeps_a_stored_future_date(web, university):
    client = client_as(web, "uni-qa4")
    today = local_today().isoformat()
    assert client.post("/patents/new", data=patent_form(filing_date="2020-01-01", grant_date=today)
                       ).status_code == 302
    patent = db.session.scalar(select(Patent))
    patent.grant_date = date(2099, 6, 1)  # saved before the rule: other edits must still pass
    db.session.commit()
    kept = client.post(f"/patents/{patent.id}/edit",
                       data=patent_form(title="改过的名称", filing_date="2020-01-01",
                                        grant_date="2099-06-01"))
    assert kept.status_code == 302
    moved = client.post(f"/patents/{patent.id}/edit",
                        data=patent_form(filing_date="2020-01-01", grant_date="2099-06-02"))
    assert errors_of(moved.text, "grant_date") == ["授权公告日不能晚于今天。"]


def test_the_api_refuses_a_grant_date_after_today(web, university):
    body = {"publication_number": "CN119960042A", "title": "一种API专利",
            "abstract": "本发明公开了一种方法。", "filing_date": "2020-01-01", "grant_date": FUTURE}
    answer = web.test_client().post("/api/v1/patents?lang=en", json=body,
                                    headers=bearer(token_for(university)))
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {"field": "grant_date", "message": "The grant date cannot be after today."}]
    assert count(Patent) == 0


def test_the_patent_import_refuses_dates_after_today(web, university):
    text = ("公开号,专利名称,摘要,申请日,授权日\n"
            f"CN119960043A,一种方法,本发明公开了一种方法。,{FUTURE},\n"
            f"CN119960044A,一种方法,本发明公开了一种方法。,2020-01-01,{FUTURE}\n"
            "CN119960045A,一种方法,本发明公开了一种方法。,2020-01-01,2021-01-01\n")
    result = import_patents(text.encode(), "p.csv", actor=university)
    assert (result.created, result.failed) == (1, 2)
    assert [(e.row, e.field) for e in result.errors] == [(2, "filing_date"), (3, "grant_date")]
    assert result.errors[0].reason == f"申请日 {FUTURE} 晚于今天"


def test_a_need_import_refuses_a_past_deadline_for_a_new_need(web, enterprise):
    past = local_today() - timedelta(days=3)
    serial = (past - date(1899, 12, 30)).days  # an Excel day number, as in JSON Lines
    text = ("需求名称,需求描述,截止日期\n"
            f"新需求一,描述。,{past.isoformat()}\n新需求二,描述。,{local_today().isoformat()}\n")
    result = import_needs(text.encode(), "needs.csv", actor=enterprise)
    assert (result.created, result.failed) == (1, 1)
    assert (result.errors[0].row, result.errors[0].field) == (2, "deadline")
    assert result.errors[0].reason == f"截止日期 {past.isoformat()} 已过：新设的截止日期不能早于今天"
    lines = f'{{"title": "新需求三", "description": "描述。", "deadline": {serial}}}\n'
    assert import_needs(lines.encode(), "needs.jsonl", actor=enterprise).failed == 1
    assert count(Need) == 1


def test_a_need_import_keeps_a_stored_past_deadline_but_refuses_a_new_one(web, enterprise):
    past = local_today() - timedelta(days=10)
    f.need("旧需求", enterprise=enterprise.organization, external_ref="QA-D-1", deadline=past)
    db.session.commit()
    header = "需求编号,需求名称,需求描述,截止日期\n"
    kept = import_needs(f"{header}QA-D-1,旧需求,新描述。,{past}\n".encode(), "n.csv",
                        actor=enterprise)
    assert (kept.updated, kept.failed) == (1, 0), kept.errors
    moved = import_needs(f"{header}QA-D-1,旧需求,新描述。,{past - timedelta(days=1)}\n".encode(),
                         "n.csv", actor=enterprise)
    assert (moved.updated, moved.failed) == (0, 1) and moved.errors[0].field == "deadline"
    assert db.session.scalar(select(Need.deadline)) == past


# -- 11. one message for a forged league; NaN is not a number -----------------------------------


def test_a_forged_league_gets_one_message_on_the_need_form(web, enterprise):
    html = client_as(web, "ent-qa4").post("/needs/new", data=need_form(region_league="北京市")).text
    assert errors_of(html, "region_league") == ["请选择内蒙古的盟市。"]
    assert count(Need) == 0


def test_a_forged_league_gets_one_message_on_the_organization_form(web):
    f.user(Role.ADMIN, username="root-qa4")
    db.session.commit()
    html = client_as(web, "root-qa4").post("/admin/organizations/new", data={
        "kind": "enterprise", "name": "新公司", "region_league": "北京市"}).text
    assert errors_of(html, "region_league") == ["请选择内蒙古的盟市。"]
    assert count(Organization) == 0


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/patents", '{"publication_number": "CN119960046A", "title": "t", "abstract": "a",'
                        ' "asking_price": NaN}'),
    ("/api/v1/needs", '{"title": "t", "description": "d", "budget_min": NaN}'),
    ("/api/v1/needs", '{"title": "t", "description": "d", "budget_max": Infinity}'),
])
def test_the_api_says_nan_is_not_a_number(web, university, enterprise, path, body):
    user = university if "patents" in path else enterprise
    answer = web.test_client().post(path, data=body, content_type="application/json",
                                    headers=bearer(token_for(user)))
    assert answer.status_code == 422
    [error] = answer.get_json()["errors"]
    assert error["message"] == "Input should be a finite number"
