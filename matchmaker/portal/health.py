"""``GET /healthz``: a JSON answer for load balancers and operators.

Anonymous callers get the status only; record counts, encoder names and index state are for
administrators and for callers sending ``X-Health-Token: <MATCHMAKER_HEALTH_TOKEN>``.
"""

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from ..records import Role
from ..services.health import database_state, index_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    database = database_state()
    body = {"status": "ok" if database["reachable"] else "degraded"}
    if _may_see_details():
        body.update(database=database, index=_index(database["reachable"]))
    return jsonify(body), 200 if database["reachable"] else 503


def _may_see_details() -> bool:
    token = current_app.config.get("HEALTH_TOKEN")
    sent = request.headers.get("X-Health-Token")
    if token and sent and hmac.compare_digest(sent.encode(), str(token).encode()):
        return True
    try:
        return current_user.is_authenticated and current_user.role is Role.ADMIN
    except Exception:  # no database to load the user from: health must still answer
        return False


def _index(database_reachable: bool) -> dict:
    """The matching service's view (manifests vs database counts); manifests alone without a
    database."""
    if database_reachable:
        from ..services.matching import index_status

        try:
            return index_status()
        except Exception:  # reported, not raised: health must answer
            log.exception("index status failed")
    indexes = index_state(current_app.config["INDEX_DIR"])
    return {
        "encoder": current_app.config["ENCODER"],
        "state": "built" if indexes else "missing",
        "count": None,
        "built_at": None,
        "indexes": indexes,
    }
