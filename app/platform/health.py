"""Liveness and readiness endpoints."""

from flask import Blueprint, current_app, jsonify

bp = Blueprint("platform", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 while the process lives."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Answer 200 when every dependency answers, else 503 naming the ones that are down."""
    problems = [p for p in (current_app.extensions["mongo"].ping(), current_app.extensions["huey"].ping()) if p]
    if problems:
        response = jsonify({"status": "unavailable", "errors": [{"message": f"{p} is down"} for p in problems]})
        response.status_code = 503
        return response
    return jsonify({"status": "ready"})
