"""The store as `make run` starts it (tests.servers.Store), and an in-process app bound to its servers."""

import os
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import redis
from pymongo.errors import PyMongoError

from tests import servers

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class Store(servers.Store):
    """The store as `make run` starts it (tests.servers.Store), on Redis under a queue name of its own."""

    # The bench sets Redis and the queue name itself; everything else unset is started by the supervisor.
    CONFIGURED = ("MONGODB_URI", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "SECRET_KEY")

    def __init__(self, web_workers=2, **settings):
        self.tmp = tempfile.TemporaryDirectory(prefix="ticketing-bench-")
        self.huey_name = f"ticketing-bench-{uuid.uuid4().hex[:8]}"
        self.secret_key = secrets.token_hex(32)
        super().__init__(Path(self.tmp.name) / "run.log", Path(self.tmp.name) / "instance",
                         WEB_WORKERS=web_workers, REDIS_URL=REDIS_URL, HUEY_NAME=self.huey_name,
                         SECRET_KEY=self.secret_key, RATELIMIT_SIGNIN="100000 per minute", **settings)
        self.base = self.url
        self.mongodb_uri = f"mongodb://127.0.0.1:{self.mongo_port}/ticketing?directConnection=true"
        self._app = None

    def start(self, timeout=120):
        """Start the supervisor and wait until /readyz answers 200."""
        self.instance.mkdir(parents=True)
        return super().start(timeout)

    def log_tail(self, size=4000):
        """Return the end of what the supervisor and its children printed."""
        return self.log()[-size:]

    def processes(self):
        """Return {role: [psutil.Process]} for web (gunicorn master and workers), worker, mongodb and localstripe."""
        roles = {"web": [], "worker": [], "mongodb": [], "localstripe": []}
        try:
            children = psutil.Process(self.popen.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return roles
        for child in children:
            try:
                cmd = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "gunicorn" in cmd:
                roles["web"].append(child)
            elif "app.worker" in cmd:
                roles["worker"].append(child)
            elif "app.platform.embedded" in cmd:
                roles["mongodb"].append(child)
            elif "localstripe" in cmd:
                roles["localstripe"].append(child)
        return roles

    def app(self):
        """Return an app of this process bound to the store's MongoDB and Huey (to drive services directly)."""
        if self._app is None:
            from app import create_app

            config = {k: self.env[k] for k in ("INSTANCE_PATH", "REDIS_URL", "HUEY_NAME", "SECRET_KEY", "LOG_LEVEL")}
            # A load generator waits for its answers: a longer deadline than the store's own 5 s for its commands.
            self._app = create_app(config | {"MONGODB_URI": self.mongodb_uri, "TRANSACTION_DEADLINE_SECONDS": 60})
        return self._app

    def db(self):
        """Return the store's pymongo database (the same client the in-process app uses)."""
        return self.app().extensions["mongo"].db

    def settle(self, timeout=120):
        """Wait until every committed event is relayed and every delivery finished; return the seconds waited."""
        db = self.db()
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                # Existence, not counts: counting a big outbox on the embedded server would load the store itself.
                if (db.platform_outbox.find_one({"relayed": False}, {"_id": 1}) is None
                        and db.platform_deliveries.find_one({"status": "pending"}, {"_id": 1}) is None):
                    return time.monotonic() - started
            except PyMongoError:
                pass  # a busy server may time a poll out: ask again
            time.sleep(0.5)
        raise RuntimeError(f"events did not settle in {timeout}s")

    def stop(self):
        """SIGINT the supervisor (as Ctrl-C does), wait for it, and drop the bench's Huey keys from Redis."""
        launched = self.popen is not None
        super().stop()
        if self._app is not None:
            storage = self._app.extensions["huey_storage"]
            try:
                # The bench's own queue name: nothing else in the shared Redis is touched.
                storage.conn.delete(storage.queue_key, storage.schedule_key, storage.result_key, storage.counter_key)
            except redis.RedisError:
                pass
            self._app.extensions["mongo"].client.close()
        if launched:
            # Keep the store's log of the last run (test-output/ is git-ignored) for anyone chasing a figure.
            keep = ROOT / "test-output"
            keep.mkdir(exist_ok=True)
            (keep / "bench-store.log").write_bytes(self.log_path.read_bytes())
        self.tmp.cleanup()
