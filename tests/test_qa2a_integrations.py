"""The API token and webhook pages after the QA report: an unbounded ``?user=`` id is a 404,
a create answers with a redirect (Post/Redirect/Get) and the next page shows the new secret
once, and an organization cannot subscribe the same address to the same events twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import ApiToken, OrgKind, Role, WebhookSubscription
from matchmaker.services import webhooks
from tests import factories as f
from tests.pairs import client_as
from tests.test_integrations_forms import _enterprise

TOKENS = "/account/api-tokens"
WEBHOOKS = "/webhooks/"
HOOK = "http://127.0.0.1:9/hook"
TWIN = "该机构已有一个启用中的 Webhook 发往此接收地址并订阅相同的事件。"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _secret(html: str) -> str | None:
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    return found.group(1) if found else None




# ---- A: ids beyond 64 bits ----


@pytest.mark.parametrize("wanted", ["99999999999999999999", "-99999999999999999999", "-1"])
def test_an_admin_asking_for_an_impossible_user_gets_404(app, wanted):
    f.user(Role.ADMIN, username="adm")
    db.session.commit()
    assert client_as(app, "adm").get(f"{TOKENS}?user={wanted}").status_code == 404


def test_others_still_get_403_for_an_impossible_user(app):
    f.user(Role.ENTERPRISE, username="ent")
    db.session.commit()
    assert client_as(app, "ent").get(f"{TOKENS}?user=99999999999999999999").status_code == 403


# ---- B: Post/Redirect/Get, the secret once ----


def test_a_new_token_redirects_and_the_next_page_shows_it_once(app):
    _org, client = _enterprise(app)
    answer = client.post(TOKENS, data={"name": "ERP", "scopes": ["read"], "days": 30})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(TOKENS)
    assert "mmk_" not in answer.headers["Location"] and "mmk_" not in answer.get_data(as_text=True)
    secret = _secret(client.get(TOKENS).get_data(as_text=True))
    assert secret and secret.startswith("mmk_")
    assert db.session.scalar(select(ApiToken)).prefix == secret[:12]
    refreshed = client.get(TOKENS).get_data(as_text=True)  # F5 after the redirect: a GET
    assert _secret(refreshed) is None and secret not in refreshed
    assert _count(ApiToken) == 1
    with client.session_transaction() as stored:
        assert not any("mmk_" in str(value) for value in stored.values())


def test_an_admin_creating_a_token_for_someone_lands_on_their_list(app):
    f.user(Role.ADMIN, username="adm")
    ent = f.user(Role.ENTERPRISE, username="ent")
    db.session.commit()
    client = client_as(app, "adm")
    answer = client.post(f"{TOKENS}?user={ent.id}", data={"name": "for ent", "scopes": ["read"]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"?user={ent.id}")
    assert _secret(client.get(f"{TOKENS}?user={ent.id}").get_data(as_text=True))
    assert db.session.scalar(select(ApiToken)).user_id == ent.id


def test_a_refused_token_is_not_redirected(app):
    _org, client = _enterprise(app)
    answer = client.post(TOKENS, data={"name": "none", "days": 30})
    assert answer.status_code == 200 and _count(ApiToken) == 0


def test_a_new_webhook_redirects_and_the_next_page_shows_its_secret_once(app):
    org, client = _enterprise(app)
    answer = client.post(WEBHOOKS, data={"organization": org.id, "url": HOOK,
                                         "events": ["patent.listed"]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(WEBHOOKS)
    sub = db.session.scalar(select(WebhookSubscription))
    assert sub.secret not in answer.headers["Location"]
    assert _secret(client.get(WEBHOOKS).get_data(as_text=True)) == sub.secret
    assert _secret(client.get(WEBHOOKS).get_data(as_text=True)) is None


def test_the_same_webhook_twice_is_refused_on_the_form(app):
    org, client = _enterprise(app)
    data = {"organization": org.id, "url": HOOK, "events": ["need.posted", "patent.listed"]}
    assert client.post(WEBHOOKS, data=data).status_code == 303
    again = client.post(WEBHOOKS, data=data)  # a second click, or F5 on the old page
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and _secret(html) is None
    assert TWIN in re.search(r'<ul class="errors" id="url-err">(.*?)</ul>', html, re.S).group(1)
    english = client.post(WEBHOOKS + "?lang=en", data={**data, "events": ["patent.listed",
                                                                          "need.posted"]})
    assert ("This organization already has an active webhook for this address and these "
            "events." in english.get_data(as_text=True))
    assert _count(WebhookSubscription) == 1


def test_other_events_or_a_disabled_twin_do_not_block_a_subscription(app):
    org = f.org(OrgKind.ENTERPRISE)
    user = f.user(Role.ENTERPRISE, org)
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    first = webhooks.create_subscription(org, HOOK, ["need.posted"], actor=user)
    webhooks.create_subscription(org, HOOK, ["need.posted", "match.moved"], actor=user)
    other_org = f.org(OrgKind.ENTERPRISE)
    webhooks.create_subscription(other_org, HOOK, ["need.posted"], actor=f.user(Role.ADMIN))
    with pytest.raises(ValidationError) as refused:
        webhooks.create_subscription(org, f" {HOOK} ", ["need.posted"], actor=user)
    assert refused.value.field == "url"
    webhooks.set_active(first, False, actor=user)
    webhooks.create_subscription(org, HOOK, ["need.posted"], actor=user)
    with pytest.raises(ValidationError):  # enabling the old one would make a twin
        webhooks.set_active(first, True, actor=user)
    db.session.rollback()
    assert _count(WebhookSubscription) == 4


def test_enabling_a_twin_from_the_page_says_why_it_is_refused(app):
    org, client = _enterprise(app)
    user = db.session.scalar(select(webhooks.User).where(webhooks.User.username == "ent"))
    first = webhooks.create_subscription(org, HOOK, ["need.posted"], actor=user)
    webhooks.set_active(first, False, actor=user)
    webhooks.create_subscription(org, HOOK, ["need.posted"], actor=user)
    page = client.post(f"/webhooks/{first.id}/enable", follow_redirects=True)
    assert TWIN in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WebhookSubscription, first.id).active is False
