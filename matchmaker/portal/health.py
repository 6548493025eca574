"""``GET /healthz``: a JSON answer for load balancers and operators."""

from flask import Blueprint, current_app, jsonify

from ..services.health import database_state, index_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    database = database_state()
    indexes = index_state(current_app.config["INDEX_DIR"])
    body = {
        "status": "ok" if database["reachable"] else "degraded",
        "database": database,
        "index": {
            "encoder": current_app.config["ENCODER"],
            "state": "built" if indexes else "missing",
            "indexes": indexes,
        },
    }
    return jsonify(body), 200 if database["reachable"] else 503
