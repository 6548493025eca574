"""``GET /healthz``: a JSON answer for load balancers and operators."""

import logging

from flask import Blueprint, current_app, jsonify

from ..services.health import database_state, index_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    database = database_state()
    body = {
        "status": "ok" if database["reachable"] else "degraded",
        "database": database,
        "index": _index(database["reachable"]),
    }
    return jsonify(body), 200 if database["reachable"] else 503


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
