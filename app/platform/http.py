"""HTTP plumbing shared by every context: request ids, JSON bodies and the one error shape.

Every JSON error is `{"errors": [{"message": "...", "field": "..."}]}`; browsers get the same errors as pages.
"""

import logging
import uuid

from flask import g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from pymongo.errors import PyMongoError, ServerSelectionTimeoutError
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType

from .errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    DomainError,
    ServiceUnavailableError,
)
from .events import end_chain, start_chain

log = logging.getLogger(__name__)

_MESSAGES = {
    400: "Bad request",
    401: "Not authorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Request body must be JSON (Content-Type: application/json)",
    429: "Too many requests; try again later",
    500: "Something went wrong on our side",
    503: "Service temporarily unavailable",
}


def wants_json():
    """Return whether this request should get JSON errors (the API, or a client that asks for JSON)."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def error_response(status, errors, headers=None):
    """Build an error response in the platform's shape: JSON for the API, a page for browsers."""
    if wants_json():
        response = jsonify({"errors": errors})
    else:
        response = _error_page(status, errors)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error_page(status, errors):
    from flask import make_response

    return make_response(render_template("error.html", status=status, errors=errors,
                                         request_id=g.get("request_id")))


def json_body():
    """Return the request's JSON object, or raise 415 (not JSON) or 400 (malformed or not an object)."""
    if not request.is_json:
        raise UnsupportedMediaType()
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("Malformed JSON body")
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object")
    return data


def _start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
    g.event_chain = start_chain(g.request_id)  # events this request causes carry its id as their correlation id


def _end_request(_exc=None):
    token = g.pop("event_chain", None)
    if token is not None:
        end_chain(token)


def _tag_response(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _http_error(exc):
    status = exc.code or 500
    message = _MESSAGES.get(status, exc.name)
    if status == 400 and exc.description and exc.description != BadRequest.description:
        message = exc.description
    headers = {}
    if status == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        headers.update({k: v for k, v in exc.get_headers() if k.lower().startswith(("retry-after", "x-ratelimit"))})
    return error_response(status, [{"message": message}], headers)


def _domain_error(exc):
    headers = {"Retry-After": "1"} if isinstance(exc, ServiceUnavailableError) else None
    return error_response(exc.status_code, exc.to_errors(), headers)


def _database_error(exc):
    log.warning("database error during %s %s: %s", request.method, request.path, exc)
    from .uow import is_transient

    if isinstance(exc, ServerSelectionTimeoutError) or "connect" in str(exc).lower():
        return _domain_error(DatabaseUnavailableError())
    if is_transient(exc):
        return _domain_error(DatabaseBusyError())
    return _unexpected(exc)


def _unexpected(exc):
    log.exception("unexpected error (request id %s)", g.get("request_id"))
    return error_response(500, [{"message": f"{_MESSAGES[500]} (request id {g.get('request_id')})"}])


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply to parse is malformed (400), not a RecursionError (500)."""

    def loads(self, s, **kwargs):
        """Parse JSON; raise ValueError (which Flask turns into 400) for nesting deeper than Python can follow."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def register(app):
    """Install request ids, the JSON provider and the error handlers on an app."""
    app.json = JSONProvider(app)
    app.before_request(_start_request)
    app.teardown_request(_end_request)
    app.after_request(_tag_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(PyMongoError, _database_error)
    app.register_error_handler(Exception, _unexpected)
