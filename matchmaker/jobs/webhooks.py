"""The webhook task: send one delivery; a failed attempt is tried again after the backoff.

A delivery row (``records.WebhookDelivery``) is its own job record, so this task makes no
``jobs`` row: one per event and endpoint would bury people's jobs in the list. The row holds
the attempts, the next attempt's time and the outcome; ``services.webhooks.deliver`` decides
them (``WEBHOOK_MAX_ATTEMPTS``, disabling a failing subscription).
"""

from __future__ import annotations

import logging
import math

from celery import Task, shared_task
from flask import current_app

from ..extensions import db
from ..records import WebhookDelivery, utcnow
from ..services import webhooks as service
from .registry import RETRYABLE

log = logging.getLogger(__name__)
NAME = "matchmaker.jobs.webhook_delivery"


@shared_task(name=NAME, bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=600,
             retry_jitter=True)
def deliver(self: Task, delivery_id: int, after_attempts: int | None = None) -> str:
    """Make one attempt; ``after_attempts`` (set on retries) skips it if another sender has
    attempted since, so a broker's redelivery or the sweeper never doubles a retry."""
    outcome = service.deliver(delivery_id, after_attempts=after_attempts)
    if outcome != "retry":
        return outcome
    delivery = db.session.get(WebhookDelivery, delivery_id)
    wait = max(0.0, (delivery.next_attempt_at - utcnow()).total_seconds())
    # Each retry is a fresh attempt count of the row, not of Celery: the row's limit decides.
    raise self.retry(args=[delivery_id, delivery.attempts], countdown=math.ceil(wait),
                     max_retries=current_app.config["WEBHOOK_MAX_ATTEMPTS"], exc=None)


def enqueue(delivery_ids: list[int]) -> None:
    """Send one task per delivery; a broker error leaves them pending for the sweeper."""
    task = current_app.extensions["celery"].tasks[NAME]
    for delivery_id in delivery_ids:
        try:
            task.apply_async(args=[delivery_id])
        except Exception:  # ``flask webhooks deliver-due`` sends what is due later
            db.session.rollback()
            log.exception("webhook delivery %s could not be queued", delivery_id)
