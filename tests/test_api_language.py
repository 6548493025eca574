"""An API call's language: its Accept-Language, else the token owner's saved choice, else the
default (Chinese). The API has no session and no language switch, so before this every business
message (预算下限不能高于上限。) came in Chinese, also to an English user or client."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db
from matchmaker.records import OrgKind, Role
from tests import factories as f
from tests.api_support import bearer, token_for

BODY = {"title": "焦炉煤气制氢需求", "description": "希望利用焦炉煤气制取高纯氢。",
        "budget_min": 80, "budget_max": 50}
ZH, EN = "预算下限不能高于上限。", "The minimum budget exceeds the maximum."


@pytest.mark.parametrize("saved, header, expected", [
    ("zh_CN", None, ZH),
    ("en", None, EN),            # the owner's saved choice
    ("zh_CN", "en", EN),         # the call asks for English
    ("en", "zh-CN,zh;q=0.9", ZH),
    ("en", "zh", ZH),
    ("zh_CN", "fr-FR, en;q=0.5", EN),  # the first language we have
    ("zh_CN", "fr-FR", ZH),      # none we have: the owner's choice
])
def test_a_business_message_speaks_the_callers_language(app, saved, header, expected):
    user = f.user(Role.ENTERPRISE, f.org(OrgKind.ENTERPRISE))
    user.locale = saved
    db.session.commit()
    headers = bearer(token_for(user))
    if header:
        headers["Accept-Language"] = header
    answer = app.test_client().post("/api/v1/needs", json=BODY, headers=headers)
    assert answer.status_code == 422
    assert expected in str(answer.get_json())
