"""Settings read from environment variables, each with an embedded default."""

import os
import secrets
from pathlib import Path

ALL_CONTEXTS = ("auth", "tickets", "orders", "payments", "notifications")

# Every setting the application knows: name -> (parser, default). Documented in the README.
_SETTINGS = {
    "INSTANCE_PATH": (str, "./instance"),
    "PORT": (int, 8000),
    "LOG_LEVEL": (str, "INFO"),
    "MONGODB_URI": (str, ""),
    "MONGODB_EMBEDDED_PORT": (int, 27027),
    "MONGODB_EMBEDDED_AGGREGATION_LIMIT": (int, 0),
    "REDIS_URL": (str, ""),
    "HUEY_NAME": (str, "ticketing"),
    "ORDER_EXPIRATION_SECONDS": (int, 900),
    "CURRENCY": (str, "USD"),
    "CONTEXTS": (str, ",".join(ALL_CONTEXTS)),
    "OPENAPI_CONTEXTS": (str, ""),
    "EVENT_TRANSPORT": (str, "local"),
    "NATS_URL": (str, "nats://127.0.0.1:4222"),
    "SWEEP_INTERVAL_SECONDS": (float, 5.0),
    "DELIVERY_MAX_ATTEMPTS": (int, 5),
    "DELIVERY_BACKOFF_SECONDS": (float, 1.0),
    "DELIVERY_LEASE_SECONDS": (float, 30.0),
    "TRANSACTION_DEADLINE_SECONDS": (float, 5.0),
    "MONGODB_TIMEOUT_MS": (int, 3000),
    "SESSION_COOKIE_SECURE": (bool, False),
    "RATELIMIT_SIGNIN": (str, "10 per minute"),
    "STRIPE_SECRET_KEY": (str, ""),
    "STRIPE_PUBLISHABLE_KEY": (str, ""),
    "STRIPE_WEBHOOK_SECRET": (str, ""),
    "STRIPE_API_BASE": (str, ""),
    "STRIPE_JS_URL": (str, "https://js.stripe.com/v3/"),
    "STRIPE_TIMEOUT_SECONDS": (float, 10.0),
    "LOCALSTRIPE_PORT": (int, 8420),
    "WORKER_THREADS": (int, 8),
    "WEB_WORKERS": (int, 2),
    "NATS_STREAM": (str, "TICKETING"),
    "NATS_SUBJECT_PREFIX": (str, "events"),
    "NATS_MAX_DELIVER": (int, 5),
    "NATS_ACK_WAIT_SECONDS": (float, 30.0),
    "NATS_TIMEOUT_SECONDS": (float, 5.0),
    "TRUSTED_PROXY_COUNT": (int, 0),
    "READ_CACHE_SECONDS": (float, 5.0),
    "MAX_ACTIVE_ORDERS_PER_BUYER": (int, 4),
    "RATELIMIT_SIGNUP": (str, "20 per hour"),
    "RATELIMIT_SIGNIN_ACCOUNT": (str, "50 per minute"),
    "SESSION_LIFETIME_SECONDS": (int, 14 * 24 * 3600),
    "EVENT_RETENTION_SECONDS": (float, 7 * 24 * 3600.0),
    "METRICS_TOKEN": (str, ""),
    "LOG_FORMAT": (str, "text"),
    "MAIL_SERVER": (str, ""),
    "MAIL_PORT": (int, 25),
    "MAIL_USE_TLS": (bool, False),
    "MAIL_USE_SSL": (bool, False),
    "MAIL_USERNAME": (str, ""),
    "MAIL_PASSWORD": (str, ""),
    "MAIL_DEFAULT_SENDER": (str, "Ticketing <no-reply@ticketing.localhost>"),
    "MAIL_MAX_ATTEMPTS": (int, 10),
    "MAIL_BACKOFF_SECONDS": (float, 5.0),
    "MAIL_EMBEDDED_PORT": (int, 8025),
    "PUBLIC_URL": (str, ""),
    "RESALE_MAX_MARKUP_PERCENT": (int, 20),
}


def _parse(kind, raw):
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return kind(raw)


def from_env(environ=None):
    """Return the settings from the environment, with defaults for anything unset."""
    environ = os.environ if environ is None else environ
    config = {}
    for name, (kind, default) in _SETTINGS.items():
        raw = environ.get(name)
        config[name] = default if raw in (None, "") else _parse(kind, raw)
    config["INSTANCE_PATH"] = str(Path(config["INSTANCE_PATH"]).resolve())
    if not config["MONGODB_URI"]:
        config["MONGODB_URI"] = embedded_mongodb_uri(config["MONGODB_EMBEDDED_PORT"])
    config["SECRET_KEY"] = environ.get("SECRET_KEY") or instance_secret_key(config["INSTANCE_PATH"])
    config["CONTEXTS"] = parse_contexts(config["CONTEXTS"])
    return config


def coerce(overrides):
    """Return overrides with string values of known settings parsed to their types."""
    out = dict(overrides)
    for name, value in overrides.items():
        if name in _SETTINGS and isinstance(value, str) and value != "":
            out[name] = _parse(_SETTINGS[name][0], value)
    return out


def embedded_mongodb_uri(port):
    """Return the URI of the embedded MongoDB wire server on `port`."""
    return f"mongodb://127.0.0.1:{port}/ticketing?directConnection=true"


def parse_contexts(value, setting="CONTEXTS"):
    """Return the tuple of context names in `value`, refusing unknown ones (naming the `setting` they came from)."""
    names = tuple(n.strip() for n in value.split(",") if n.strip()) if isinstance(value, str) else tuple(value)
    unknown = set(names) - set(ALL_CONTEXTS)
    if unknown or not names:
        raise ValueError(f"{setting} must be a subset of {','.join(ALL_CONTEXTS)}, got {value!r}")
    return tuple(n for n in ALL_CONTEXTS if n in names)


def instance_secret_key(instance_path):
    """Return the secret key kept in the instance folder, creating it once."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            # link() is atomic and refuses to overwrite: two processes starting together agree on one key.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
