"""Fixtures of the fault tests: the platform's ledger, and private servers a test may break without harming others."""

import sys
import uuid

import pytest

from app import activate, create_app
from app.platform.embedded import free_port
from migrations.runner import upgrade
from tests.integration.platform.conftest import ledger_app, ledger_worker  # noqa: F401  (fixtures reused)
from tests.integration.platform.embedded_support import forget_cached_collections
from tests.servers import Process, wait_for_port


class MongoServer:
    """A private embedded MongoDB on a fixed port and data file, so it can be stopped, frozen and started again."""

    def __init__(self, data_dir, out_dir):
        self.path = str(data_dir / "mongo.sqlite")
        self.port = free_port()
        self.out_dir = out_dir
        self.uri = f"mongodb://127.0.0.1:{self.port}/ticketing?directConnection=true"
        self.proc = None
        self.starts = 0

    def start(self):
        """Start (or restart) the server on the same port and data file."""
        self.starts += 1
        self.proc = Process([sys.executable, "-m", "app.platform.embedded", "mongo", "--path", self.path,
                             "--port", str(self.port)], None, self.out_dir / f"faults-mongo-{self.starts}.log")
        wait_for_port("127.0.0.1", self.port, timeout=30, process=self.proc.popen)
        return self

    def stop(self):
        """Stop the server for good (SIGTERM, then SIGKILL)."""
        if self.proc is not None:
            self.proc.stop()


@pytest.fixture
def private_mongo(tmp_path, out_dir):
    """Return a private embedded MongoDB server, stopped after the test."""
    server = MongoServer(tmp_path, out_dir).start()
    yield server
    server.stop()


@pytest.fixture
def private_app(private_mongo, base_env, app):
    """Return an app bound to the private MongoDB (migrated) and a queue name of its own; restore the shared app."""
    env = dict(base_env, MONGODB_URI=private_mongo.uri, HUEY_NAME=f"ticketing-faults-{uuid.uuid4().hex[:8]}",
               MONGODB_TIMEOUT_MS="1000", TRANSACTION_DEADLINE_SECONDS="2")
    forget_cached_collections()
    private = create_app(env | {"TESTING": True})
    with private.app_context():
        upgrade(private.extensions["mongo"].db, private.config["CONTEXTS"])
    private.config["test_env"] = env
    yield private
    private.extensions["huey"].storage.flush_queue()
    private.extensions["huey"].storage.flush_schedule()
    private.extensions["mongo"].client.close()
    activate(app)
    forget_cached_collections()
