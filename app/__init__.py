"""The ticketing application factory: the one composition root of the modular monolith."""

import functools
import importlib
import os

from flask import Flask, redirect, request
from jinja2 import StrictUndefined

from . import config as settings
from . import demo, presentation
from .extensions import csrf, huey, limiter, login_manager, mongo
from .platform import cli, health, http, identity, logs, metrics, openapi, outbox, slots
from .platform.dispatcher import Dispatcher


def create_app(config=None):
    """Build the app: config -> extensions -> contexts -> error handlers -> event wiring."""
    values = settings.from_env()
    values.update(settings.coerce(config or {}))
    values["CONTEXTS"] = settings.parse_contexts(values["CONTEXTS"])
    # What /api/openapi.json describes: this process's contexts, unless a gateway sends every client here for it.
    values["OPENAPI_CONTEXTS"] = settings.parse_contexts(values.get("OPENAPI_CONTEXTS") or values["CONTEXTS"],
                                                       "OPENAPI_CONTEXTS")
    os.makedirs(values["INSTANCE_PATH"], exist_ok=True)
    app = Flask(__name__, instance_path=values["INSTANCE_PATH"])
    app.config.update(values)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
        # A session lasts SESSION_LIFETIME_SECONDS from sign-in (app.platform.identity checks it); the cookie is not
        # renewed by use, so it expires then too.
        PERMANENT_SESSION_LIFETIME=app.config["SESSION_LIFETIME_SECONDS"],
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        # Counters every worker and process shares: Redis if there is one, else the database (never per-process memory).
        RATELIMIT_STORAGE_URI=app.config["REDIS_URL"] or app.config["MONGODB_URI"],
        RATELIMIT_STORAGE_OPTIONS={} if app.config["REDIS_URL"] else _rate_limit_collections(app.config),
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down must not turn sign-in into a 500: count in this process's memory until it is back.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    app.jinja_env.undefined = StrictUndefined
    _trust_proxies(app)
    logs.configure(app)
    _init_extensions(app)
    _register_contexts(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    metrics.init_app(app)
    http.register(app)
    app.cli.add_command(cli.outbox_cli)
    app.cli.add_command(cli.db_cli)
    app.cli.add_command(cli.events_cli)
    demo.init_app(app)
    presentation.init_app(app)
    _wire_events(app)
    activate(app)
    return app


def _rate_limit_collections(config):
    # The `limits` library's MongoDB storage, in the app's own database (its TTL indexes come from migration 0007).
    from urllib.parse import urlsplit

    return {"database_name": urlsplit(config["MONGODB_URI"]).path.lstrip("/") or "ticketing",
            "counter_collection_name": "platform_rate_limits",
            "window_collection_name": "platform_rate_limit_windows",
            "serverSelectionTimeoutMS": config["MONGODB_TIMEOUT_MS"], "connectTimeoutMS": config["MONGODB_TIMEOUT_MS"],
            "tz_aware": True}


def _trust_proxies(app):
    # Behind N reverse proxies (the split deployment's gateway), take the client's address and scheme from their
    # X-Forwarded-* headers, so rate limits count clients rather than the proxy. Off by default: never trust a
    # header nobody in front of us sets.
    count = app.config["TRUSTED_PROXY_COUNT"]
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def activate(app):
    """Make `app` the one this process's singletons (mongoengine's alias, Huey) serve; create_app does this too."""
    app.extensions["mongo"].activate()
    huey.activate(app)


def _init_extensions(app):
    mongo.init_app(app)
    huey.init_app(app)
    csrf.init_app(app)
    # Registered before the limiter's own hook so that it runs after it (Flask runs them in reverse): the headers then
    # describe the limit closest to refusing, once this request's counts are in.
    app.after_request(functools.partial(http.report_tightest_rate_limit, limiter))
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(identity.load_user)
    login_manager.unauthorized_handler(_unauthorized)
    slots.init_app(app)
    http.install_security_headers(app)


def _unauthorized():
    if http.wants_json():
        return http.error_response(401, [{"message": "Not authorized"}])
    # A literal path, not url_for: in split mode the sign-in page may be served by another process.
    return redirect("/auth/signin?" + _next_query())


def _next_query():
    from urllib.parse import urlencode

    return urlencode({"next": request.full_path.rstrip("?")})


def _register_contexts(app):
    app.extensions["dispatcher"] = events = Dispatcher()
    app.extensions["sweeps"] = []
    for name in app.config["CONTEXTS"]:
        context = importlib.import_module(f"app.{name}")
        for blueprint in context.BLUEPRINTS:
            app.register_blueprint(blueprint)
        if hasattr(context, "API_BLUEPRINTS"):
            for blueprint in context.API_BLUEPRINTS:
                # The JSON API accepts state changes only with an application/json body, which a cross-site form
                # cannot send; pages keep CSRF tokens.
                csrf.exempt(blueprint)
                app.register_blueprint(blueprint)
        if hasattr(context, "init_app"):
            context.init_app(app)
        handlers = importlib.import_module(f"app.{name}.handlers")
        for event_type, functions in handlers.HANDLERS.items():
            for fn in functions:
                events.subscribe(event_type, fn)
        tasks = importlib.import_module(f"app.{name}.tasks")
        app.extensions["sweeps"].extend(getattr(tasks, "SWEEPS", ()))


def _wire_events(app):
    # Every known event type gets the outbox recorder, so an emitted event is never silently dropped.
    outbox.connect_recorder()
    if app.config["EVENT_TRANSPORT"] == "nats":
        from .platform.nats_transport import NatsTransport

        app.extensions["dispatcher"].transport = NatsTransport(app)
    else:
        from .platform.transports import LocalTransport

        app.extensions["dispatcher"].transport = LocalTransport()
