"""The test session's real infrastructure: MongoDB wire server, Redis-backed Huey, and app fixtures."""

import os
import tempfile
import uuid
from pathlib import Path

# Metrics in multiprocess mode, as `make run` runs them: the test app and every worker it starts write to one folder,
# and /metrics adds them up. Set before prometheus_client is first imported (it picks its storage then).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ticketing-metrics-"))

import pytest  # noqa: E402
import redis  # noqa: E402

from app import activate, create_app  # noqa: E402
from app.platform.embedded import free_port  # noqa: E402
from tests.mail import MailServer  # noqa: E402
from tests.servers import start_mongo, start_worker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def out_dir():
    """Return the test run's output folder (logs, screenshots)."""
    path = ROOT / "test-output"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory, out_dir):
    """Return the URI of the session's MongoDB: MONGODB_URI if set, else a fresh embedded wire server."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    proc, uri = start_mongo(tmp_path_factory.mktemp("mongo"), out_dir)
    yield uri
    proc.stop()


@pytest.fixture(scope="session")
def redis_url():
    """Return the Redis URL for Huey, failing loudly when Redis is not reachable."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    client.ping()
    return REDIS_URL


@pytest.fixture(scope="session")
def base_env(mongodb_uri, redis_url, tmp_path_factory):
    """Return the environment shared by the test app and every process the tests start."""
    instance = tmp_path_factory.mktemp("instance")
    return {
        "MONGODB_URI": mongodb_uri,
        "REDIS_URL": redis_url,
        "HUEY_NAME": f"ticketing-test-{uuid.uuid4().hex[:8]}",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "SWEEP_INTERVAL_SECONDS": "0.5",
        "DELIVERY_BACKOFF_SECONDS": "0.2",
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_MAX_ATTEMPTS": "3",
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_SIGNIN": "1000 per minute",
        # Nothing listens there: emails of tests that do not start an SMTP server of their own go nowhere (and never
        # to a `make run` store on this machine, which listens on the default port).
        "MAIL_EMBEDDED_PORT": str(free_port()),
        "RATELIMIT_SIGNIN_ACCOUNT": "5000 per minute",
        "RATELIMIT_SIGNUP": "100000 per hour",
    }


def env_for(base_env, **overrides):
    """Return os.environ plus the session's settings and any overrides, for a child process."""
    env = dict(os.environ)
    env.update(base_env)
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@pytest.fixture(scope="session")
def _session_app(base_env):
    app = create_app({k: v for k, v in base_env.items()} | {"TESTING": True})
    from migrations.runner import upgrade

    with app.app_context():
        upgrade(app.extensions["mongo"].db, app.config["CONTEXTS"])
    return app


@pytest.fixture
def app(_session_app, base_env):
    """Return the app bound to the session's servers, with an empty database and an empty queue."""
    app = _session_app
    activate(app)  # another test may have created an app of its own
    db = app.extensions["mongo"].db
    for name in db.list_collection_names():
        if not name.startswith("migrations"):
            db[name].delete_many({})
    huey = app.extensions["huey"]
    huey.storage.flush_queue()
    huey.storage.flush_schedule()
    saved = dict(app.config)
    yield app
    app.config.clear()
    app.config.update(saved)


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's per-test request context: under it every request of a test shares one `g`, so
    Flask-Login's cached user leaks from one request (and one client) to the next. Each request stands alone here."""
    yield


@pytest.fixture
def client(app):
    """Return a test client that keeps no request context between requests (pytest-flask's would share `g`)."""
    return app.test_client()


@pytest.fixture
def db(app):
    """Return the app's pymongo database."""
    return app.extensions["mongo"].db


@pytest.fixture
def worker_factory(base_env, out_dir, request):
    """Return a function that starts real Huey consumers (stopped after the test)."""
    started = []

    def start(module="app.worker", **overrides):
        proc = start_worker(env_for(base_env, **overrides), out_dir, name=f"worker-{request.node.name}",
                            module=module)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def worker(app, worker_factory):
    """Start one real Huey consumer for this test."""
    return worker_factory()


@pytest.fixture
def mail_server(tmp_path):
    """Start a real SMTP server (aiosmtpd) for this test; stopped afterwards."""
    server = MailServer(tmp_path / "received").start()
    yield server
    server.stop()
