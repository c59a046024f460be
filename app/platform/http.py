"""HTTP plumbing shared by every context: request ids, JSON bodies and the one error shape.

Every JSON error is `{"errors": [{"message": "...", "field": "..."}]}`; browsers get the same errors as pages.
"""

import logging
import time
import uuid
from urllib.parse import urlsplit

from flask import g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from pymongo.errors import PyMongoError, ServerSelectionTimeoutError
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType

from .errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    DomainError,
    ServiceUnavailableError,
    ValidationError,
)
from .events import end_chain, start_chain
from .localstripe import effective_settings

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
    if request.path == "/api" or request.path.startswith("/api/"):
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
    _refuse_unpaired_surrogates(data)
    return data


def has_unpaired_surrogate(value):
    """Return whether text (or any text inside a list or dict) holds a lone UTF-16 surrogate such as "\\ud800"."""
    if isinstance(value, str):
        # JSON may spell a lone surrogate ("\\ud800"); Python keeps it, and it cannot be encoded as UTF-8 for the
        # database, a password hash or a log line.
        return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(has_unpaired_surrogate(k) or has_unpaired_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unpaired_surrogate(v) for v in value)
    return False


def _refuse_unpaired_surrogates(data):
    for key, value in data.items():
        if has_unpaired_surrogate(key):
            raise BadRequest("The JSON body holds text that is not valid Unicode")
        if has_unpaired_surrogate(value):
            raise ValidationError({key: f"{key[:1].upper()}{key[1:]} must be valid text"})


def _start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_started = time.perf_counter()  # read by the request's log line and its metrics
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
    g.database_failed = True  # what else would ask the database in this request (the signed-in check) need not wait
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


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _sources(values):
    return " ".join(dict.fromkeys(values))  # in order, without repeats


def content_security_policy(config):
    """Return the CSP for an app's settings: our own origin, plus Stripe's (live) or localstripe's (demo mode)."""
    stripe = effective_settings(config)
    if stripe["demo"]:
        # localstripe's stand-in stripe.js calls localstripe's API from the page, and opens no frames. The demo
        # mailbox frames an email's HTML from this origin (every other page of ours refuses framing: frame-ancestors).
        stripe_scripts = stripe_connect = [o for o in (_origin(stripe["js_url"]), _origin(stripe["api_base"])) if o]
        stripe_frames = ["'self'"]
    else:
        # Stripe's published CSP needs: https://docs.stripe.com/security/guide#content-security-policy
        stripe_scripts = ["https://js.stripe.com", "https://*.js.stripe.com", *filter(None, [_origin(config.get(
            "STRIPE_JS_URL"))])]
        stripe_connect = ["https://api.stripe.com"]
        stripe_frames = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    return {
        "default-src": "'self'",
        # No 'unsafe-inline' anywhere: every script and style is a file of ours (or Stripe's).
        "script-src": _sources(["'self'", *stripe_scripts]),
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": _sources(["'self'", *stripe_connect]),
        "frame-src": _sources(stripe_frames) or "'none'",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }


def install_security_headers(app):
    """Send the security headers on every response (Flask-Talisman): CSP, nosniff, no framing, referrer, HSTS."""
    from flask_talisman import Talisman

    secure = app.config["SESSION_COOKIE_SECURE"]
    Talisman(
        app,
        # TLS is ended by whatever is in front of us (a proxy, or nothing in `make run`): redirecting is its job.
        force_https=False,
        # HSTS only where the site is served over HTTPS (the same switch as the secure session cookie); Talisman
        # also sends it only on requests that arrived over HTTPS, as browsers ignore it otherwise.
        strict_transport_security=secure,
        session_cookie_secure=secure,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=content_security_policy(app.config),
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )


def with_security_headers(**options):
    """Give one view its own framing and CSP (Flask-Talisman's per-view options), e.g. a document we frame ourselves."""

    def decorator(view):
        view.talisman_view_options = options
        return view

    return decorator


def report_tightest_rate_limit(limiter, response):
    """Rewrite the X-RateLimit-* headers to describe the limit that refuses soonest (Flask-Limiter's pick is the
    limit with the smallest window, which is not the one closest to refusing when several apply)."""
    limits = limiter.current_limits
    if len(limits) < 2 or "X-RateLimit-Limit" not in response.headers:
        return response
    try:
        # Read after the limiter counted this request (conditional deductions included).
        stats = [(limit, *limiter.limiter.get_window_stats(limit.limit, *limit.request_args)) for limit in limits]
    except Exception:
        log.warning("could not read the rate-limit counters for the headers", exc_info=True)
        return response
    # Fewest remaining first; among those, the one that resets last (the client must wait for it).
    limit, reset, remaining = min(stats, key=lambda s: (s[2], -s[1]))
    response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(remaining)
    response.headers["X-RateLimit-Reset"] = str(int(reset + 1))
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, int(reset + 1 - time.time())))
    return response
