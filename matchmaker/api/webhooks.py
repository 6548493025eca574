"""Webhook subscriptions of the caller's organization and their delivery log (read only)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from ..extensions import db
from ..records import Role, WebhookDelivery, WebhookSubscription
from . import bp, spec, user
from .common import get_or_404, json_response
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import UtcDateTime

TAGS = ["webhooks"]


class SubscriptionOut(BaseModel):
    id: int
    organization_id: int
    url: str
    events: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: UtcDateTime


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class DeliveryOut(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: UtcDateTime | None
    response_code: int | None
    error: str | None
    created_at: UtcDateTime
    delivered_at: UtcDateTime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


def _subscriptions():
    actor = user()
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if actor.role is not Role.ADMIN:
        stmt = stmt.where(WebhookSubscription.organization_id == (actor.organization_id or -1))
    return stmt


def _out(sub: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut(id=sub.id, organization_id=sub.organization_id, url=sub.url,
                           events=sub.event_list, active=sub.active,
                           consecutive_failures=sub.consecutive_failures,
                           disabled_reason=sub.disabled_reason, created_at=sub.created_at)


@bp.get("/webhooks")
@spec.validate(resp=responses({200: SubscriptionList}), tags=TAGS)
def list_webhooks():
    """Your organization's subscriptions (managed in the portal; secrets are never shown)."""
    return json_response(SubscriptionList(items=[_out(s) for s in
                                                 db.session.scalars(_subscriptions())]))


@bp.get("/webhooks/<int:subscription_id>/deliveries")
@spec.validate(resp=responses({200: DeliveryList}, 404), tags=TAGS)
def list_deliveries(subscription_id: int):
    """The latest 100 deliveries of one subscription."""
    sub = get_or_404(WebhookSubscription, subscription_id, "subscription")
    actor = user()
    if actor.role is not Role.ADMIN and sub.organization_id != actor.organization_id:
        raise ApiProblem(404, "No such subscription.")
    rows = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == sub.id).order_by(WebhookDelivery.id.desc()).limit(100))
    fields = DeliveryOut.model_fields
    return json_response(DeliveryList(items=[DeliveryOut(**{k: getattr(d, k) for k in fields})
                                             for d in rows]))
