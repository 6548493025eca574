"""Login throttling on failed attempts only, and per-user limits on expensive pages.

Both use Flask-Limiter's storage (``MATCHMAKER_RATELIMIT_STORAGE_URL``): in memory per
process by default, shared by every worker and machine with ``redis://``.
"""

from __future__ import annotations

import math
import time

from flask import current_app, request
from flask_login import current_user
from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from ..extensions import limiter

NAMESPACE = "login-failures"


def _failure_limits(username: str):
    # Moving windows: a lock lasts until the oldest counted failure leaves its window, so
    # failures straddling a window boundary cannot double the attempts. Each setting may list
    # several limits ("5 per 15 minutes; 10 per hour; 20 per day"): the lockouts grow, 15
    # minutes after the first five failures, up to an hour after ten, a day after twenty.
    config = current_app.config
    account = (username or "").strip().lower()[:80]
    address = request.remote_addr or "unknown"
    return ([(item, "account", account) for item in parse_many(config["LOGIN_ACCOUNT_LIMIT"])]
            + [(item, "address", address) for item in parse_many(config["LOGIN_ADDRESS_LIMIT"])])


def _strategy() -> MovingWindowRateLimiter | None:
    """None when rate limiting is switched off (Flask-Limiter's ``RATELIMIT_ENABLED``): it then
    has no storage, and logins are not throttled either (they raised an error instead)."""
    return MovingWindowRateLimiter(limiter.storage) if limiter.enabled else None


def locked_minutes(username: str) -> int | None:
    """Minutes until ``username`` or this address may try again; None when not locked."""
    strategy = _strategy()
    if strategy is None:
        return None
    waits = []
    for item, kind, key in _failure_limits(username):
        if not strategy.test(item, NAMESPACE, kind, key):
            reset = strategy.get_window_stats(item, NAMESPACE, kind, key).reset_time
            waits.append(max(1, math.ceil((reset - time.time()) / 60)))
    return max(waits) if waits else None


def record_failure(username: str) -> bool:
    """Count a failed login; True when this failure locks the account or the address."""
    strategy = _strategy()
    if strategy is None:
        return False
    locked = False
    for item, kind, key in _failure_limits(username):
        strategy.hit(item, NAMESPACE, kind, key)
        locked = locked or not strategy.test(item, NAMESPACE, kind, key)
    return locked


def clear_account(username: str) -> None:
    """A successful login forgives the account's earlier failures (not the address's)."""
    strategy = _strategy()
    if strategy is None:
        return
    for item, kind, key in _failure_limits(username):
        if kind == "account":
            strategy.clear(item, NAMESPACE, kind, key)


def user_key() -> str:
    """Rate-limit key: the logged-in user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr}"


def _expensive_limit() -> str:
    return current_app.config["RATELIMIT_EXPENSIVE"]


def _not_semantic() -> bool:
    return not (request.args.get("semantic") == "1" and request.args.get("q", "").strip())


# One allowance per user shared by every expensive page, so spreading requests over several
# of them buys nothing.
expensive = limiter.shared_limit(_expensive_limit, scope="expensive", key_func=user_key)
semantic_search = limiter.shared_limit(_expensive_limit, scope="expensive", key_func=user_key,
                                       exempt_when=_not_semantic)


def _contact_limit() -> str:
    return current_app.config["SHOWCASE_CONTACT_LIMIT"]


def _address_key() -> str:
    return f"address:{request.remote_addr}"


def _stored(response) -> bool:
    return response.status_code in (302, 303)


# Contact requests from the public showcase: counted per client address, only when one was
# stored (a form sent back with errors costs nothing), so a visitor who mistypes is never
# locked out while a script filling the brokers' queue is (429 beyond the limit).
contact_request = limiter.shared_limit(_contact_limit, scope="showcase-contact",
                                       key_func=_address_key, methods=["POST"],
                                       deduct_when=_stored)
