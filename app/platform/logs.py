"""Logging: quiet by default (one line per request, Huey's per-task lines only at DEBUG), JSON lines on request.

LOG_FORMAT=json writes one JSON object a line (python-json-logger) with the time, level, logger and message, and,
where there is one, the request id, the correlation id of the event chain, the signed-in user and the event being
handled; the text format carries the same ids at the end of the line.
"""

import logging
import sys
import time

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from .events import current_chain

log = logging.getLogger("app.requests")
_FIELDS = ("request_id", "correlation_id", "user_id", "event_id", "event_type")


class _Context(logging.Filter):
    """Add the ids of the request and of the event chain the record was logged in."""

    def filter(self, record):
        values = dict.fromkeys(_FIELDS)
        chain = current_chain()
        if chain is not None:
            values["correlation_id"], values["event_id"], values["event_type"] = chain
        if has_request_context():
            values["request_id"] = g.get("request_id")
            values["user_id"] = _user_id()
        for name, value in values.items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        record.context = " ".join(f"{name}={getattr(record, name)}" for name in _FIELDS if getattr(record, name))
        return True


def _user_id():
    from flask_login import current_user

    try:
        return current_user.get_id() if current_user and current_user.is_authenticated else None
    except Exception:  # a log line must never fail because the user could not be loaded
        return None


def configure(app):
    """Set up the root logger once per process from LOG_LEVEL and LOG_FORMAT, and log one line per request."""
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if str(app.config["LOG_FORMAT"]).lower() == "json":
        handler.setFormatter(JsonFormatter(
            ["asctime", "levelname", "name", "message", *_FIELDS],
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s %(context)s"))
    handler.addFilter(_Context())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "ticketing", False)]:
        root.removeHandler(existing)
    handler.ticketing = True
    root.addHandler(handler)
    root.setLevel(level)
    app.logger.setLevel(level)
    # Huey logs two INFO lines per task (hundreds a minute): only worth reading when debugging.
    logging.getLogger("huey").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    app.after_request(_log_request)


def _log_request(response):
    started = g.get("request_started")
    if started is not None:
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                 (time.perf_counter() - started) * 1000)
    return response
