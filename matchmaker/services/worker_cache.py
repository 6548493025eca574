"""Figures a web worker may reuse for a while (the dashboard, the revival list's scores).

Per app and process: each gunicorn worker computes its own, so two workers may show figures
computed up to ``max_age`` seconds apart (docs/deployment.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")


def kept(name: str, key: Hashable, max_age: float, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``key``, computed at most once per ``max_age`` seconds.

    ``max_age`` <= 0: computed every time and not kept. Entries older than ``max_age`` (such
    as yesterday's revival scores) are dropped when a new one is kept.
    """
    cache = current_app.extensions.setdefault(name, {})
    now = time.monotonic()
    hit = cache.get(key)
    if max_age > 0 and hit is not None and now - hit[0] < max_age:
        return hit[1]
    value = compute()
    if max_age > 0:
        for old in [k for k, (at, _value) in cache.items() if now - at >= max_age]:
            del cache[old]
        cache[key] = (now, value)
    return value
