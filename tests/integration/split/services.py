"""A context service for split-mode tests: gunicorn plus a Huey worker, with its own database and queue."""

import json
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import redis
import requests

from app.platform.embedded import free_port
from tests.conftest import env_for
from tests.servers import ROOT, Process, start_mongo, start_worker


class Service:
    """One deployable unit serving some CONTEXTS: `python -m gunicorn wsgi:app` and `python -m app.worker`."""

    def __init__(self, name, env, out_dir):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self.out_dir = out_dir
        self.web = None
        self.worker = None
        self._starts = 0

    def migrate(self):
        """Apply the migrations of this service's contexts to its own database (`flask db upgrade`)."""
        self.flask("db", "upgrade")

    def start(self):
        """Start gunicorn and the worker; return once the web answers /readyz and the worker consumes."""
        self._starts += 1
        log = self.out_dir / f"{self.name}-web-{self._starts}.log"
        self.web = Process([sys.executable, "-m", "gunicorn", "wsgi:app", "-b", f"127.0.0.1:{self.port}",
                            "--workers", "2", "--threads", "4", "--graceful-timeout", "5"], self.env, log)
        self.worker = start_worker(self.env, self.out_dir, name=f"{self.name}-worker")
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:  # not listening yet, or still starting up
                pass
            if not self.web.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} web did not start:\n{self.web.log()[-3000:]}")
            time.sleep(0.1)

    def stop(self):
        """SIGTERM the web and the worker (as an orchestrator stops a service) and wait for both."""
        for proc in (self.web, self.worker):
            if proc is not None:
                proc.stop()

    def flask(self, *args):
        """Run a `flask` command against this service's settings and return its output."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=self.env, cwd=ROOT,
                                check=False, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}"
        return result.stdout

    def outbox_status(self):
        """Return `flask outbox status --json` of this service."""
        return json.loads(self.flask("outbox", "status", "--json"))

    def logs(self):
        """Return the tail of the web and worker logs, for a failure message."""
        return "\n".join(f"--- {self.name} {kind}\n{proc.log()[-4000:]}" for kind, proc in
                         (("web", self.web), ("worker", self.worker)) if proc is not None)


def unique_huey_name(service):
    """Return a Huey queue name of its own for a service: services must never run each other's tasks."""
    return f"ticketing-split-{service}-{uuid.uuid4().hex[:8]}"


@contextmanager
def started_services(layout, base_env, nats_settings, stripe_server, tmp_path, out_dir, redis_url, extra_env=None):
    """Migrate and start one Service per (name, CONTEXTS) of `layout`, each with its own MongoDB and queue, over NATS;
    yield {name: Service}; stop them all and drop their queues.

    `extra_env(name, started)` adds settings of one service, given those started before it (e.g. another's url).
    """
    mongos, started = [], {}
    try:
        for name, contexts in layout:
            folder = tmp_path / name
            folder.mkdir()
            mongo, uri = start_mongo(folder, out_dir / f"split-{name}")
            mongos.append(mongo)
            extra = extra_env(name, started) if extra_env else {}
            env = env_for(base_env, **nats_settings, **extra, MONGODB_URI=uri, CONTEXTS=contexts,
                          EVENT_TRANSPORT="nats", HUEY_NAME=unique_huey_name(name), INSTANCE_PATH=folder / "instance",
                          STRIPE_API_BASE=stripe_server.url, LOCALSTRIPE_PORT=stripe_server.port,
                          NATS_ACK_WAIT_SECONDS=10, LOG_LEVEL="INFO")
            started[name] = Service(f"split-{name}", env, out_dir)
            started[name].migrate()
        for service in started.values():
            service.start()
        yield started
    finally:
        for service in started.values():
            service.stop()
        for mongo in mongos:
            mongo.stop()
        client = redis.Redis.from_url(redis_url)
        for service in started.values():
            for key in client.scan_iter(f"*{service.env['HUEY_NAME']}*"):
                client.delete(key)
