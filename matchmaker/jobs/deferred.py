"""Work held back until the server has sent the response: queueing after the request's commit.

A request that queues work (webhook deliveries, an API import) must answer first: with eager
jobs the work would otherwise run inside the request, and a message sent before the request's
last commit could reach a worker that does not see the rows yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, has_app_context, has_request_context, request

log = logging.getLogger(__name__)
KEY = "matchmaker.after_response"


def after_response(step: Callable[[], object]) -> None:
    """Run ``step`` once the response is sent when inside a request, else at once."""
    if has_request_context():
        request.environ.setdefault(KEY, []).append(step)
    else:
        step()


def run_after_response(response):
    """``after_request`` hook: hand the held steps to the response's ``close``."""
    steps = request.environ.pop(KEY, [])
    if steps:
        app = current_app._get_current_object()
        response.call_on_close(lambda: _run(app, steps))
    return response


def _run(app: Flask, steps: list[Callable[[], object]]) -> None:
    if has_app_context() and current_app._get_current_object() is app:  # tests keep one pushed
        _each(steps)
        return
    with app.app_context():
        _each(steps)


def _each(steps: list[Callable[[], object]]) -> None:
    from ..extensions import db

    for step in steps:
        try:
            step()
        except Exception:  # the response is sent; what is left waits for the sweepers
            db.session.rollback()
            log.exception("a step after the response failed")
