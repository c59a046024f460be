"""Real servers for the test session: the embedded MongoDB wire server, a Huey consumer, and helpers to wait."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.platform.embedded import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


class Process:
    """A child process of the test session, stopped for sure at the end."""

    def __init__(self, args, env, log_path):
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        """Return whether the process is still running."""
        return self.popen.poll() is None

    def kill(self):
        """SIGKILL the process (a crash: no cleanup runs)."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout=10):
        """SIGTERM the process and wait; SIGKILL it if it does not stop in time."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log(self):
        """Return what the process printed so far."""
        return self.log_path.read_text(errors="replace")


def start_mongo(data_dir, out_dir, *options):
    """Start the embedded MongoDB wire server on a free port (with more command-line options); return (process, uri)."""
    port = free_port()
    proc = Process([sys.executable, "-m", "app.platform.embedded", "mongo", "--path",
                    str(Path(data_dir) / "mongo.sqlite"), "--port", str(port), *options],
                   dict(os.environ), Path(out_dir) / "mongo.log")
    wait_for_port("127.0.0.1", port, timeout=30, process=proc.popen)
    return proc, f"mongodb://127.0.0.1:{port}/ticketing?directConnection=true"


_started = iter(range(1, 1_000_000))


def start_worker(env, out_dir, name="worker", module="app.worker"):
    """Start a real Huey consumer (`python -m app.worker`, or a test module that wraps it) with the environment."""
    proc = Process([sys.executable, "-m", module], env, Path(out_dir) / f"{name}-{next(_started)}.log")
    deadline = time.monotonic() + 30
    while "worker started" not in proc.log():
        if not proc.alive() or time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"worker did not start:\n{proc.log()[-3000:]}")
        time.sleep(0.05)
    return proc


def wait_until(predicate, timeout=15.0, interval=0.05, message="condition"):
    """Poll predicate until it returns a truthy value; return it, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def drain(app, limit=500):
    """Run the queued Huey tasks in this process (a real Huey on Redis, executed here); return how many ran."""
    huey = app.extensions["huey"]
    ran = 0
    # Check the size first: an empty Redis queue makes dequeue() block for its read timeout.
    while ran < limit and huey.pending_count():
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    return ran


def sign_in(client, user_id=None, email=None):
    """Sign a test client in by writing the session as the auth context does; return the user id."""
    import uuid

    from bson import ObjectId

    from app.platform.identity import new_session_values

    user_id = user_id or str(ObjectId())
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session.update(new_session_values(email or f"user-{uuid.uuid4().hex[:8]}@example.com"))
        session["_fresh"] = True
    return user_id


class Store:
    """A whole store started by the `make run` supervisor on free ports, and stopped as Ctrl-C stops it."""

    # Settings the supervisor must not inherit: unset, it starts everything itself, as `make run` does.
    CONFIGURED = ("MONGODB_URI", "REDIS_URL", "STRIPE_SECRET_KEY", "SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                  "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "HUEY_NAME", "CONTEXTS", "EVENT_TRANSPORT",
                  "MAIL_SERVER", "PUBLIC_URL")

    def __init__(self, log_path, instance, **settings):
        self.port, self.mongo_port, self.stripe_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = Path(instance)
        self.log_path = Path(log_path)
        self.env = {k: v for k, v in os.environ.items() if k not in self.CONFIGURED}
        self.mail_port = free_port()
        self.env.update(PORT=str(self.port), MONGODB_EMBEDDED_PORT=str(self.mongo_port),
                        MAIL_EMBEDDED_PORT=str(self.mail_port),
                        LOCALSTRIPE_PORT=str(self.stripe_port), INSTANCE_PATH=str(self.instance), LOG_LEVEL="WARNING")
        self.env.update({k: str(v) for k, v in settings.items()})
        self.popen = None
        self._log = None

    def launch(self):
        """Start the supervisor without waiting for it (several stores may boot side by side)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - the children write to it until stop()
        self.popen = subprocess.Popen([sys.executable, "-m", "app.platform.runner"], cwd=ROOT, env=self.env,
                                      stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout=90):
        """Block until /readyz answers 200, failing with the supervisor's log if it exits first."""
        import requests

        def ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"the store exited with {self.popen.returncode}:\n{self.log()[-4000:]}")
            try:
                return requests.get(f"{self.url}/readyz", timeout=3).status_code == 200
            except requests.RequestException:  # not listening yet, or too busy starting to answer in time
                return False

        wait_until(ready, timeout=timeout, interval=0.2, message=f"the store logging to {self.log_path.name}")
        return self

    def start(self, timeout=90):
        """Launch the supervisor and wait until the store is ready."""
        return self.launch().wait_ready(timeout)

    def stop(self):
        """SIGINT the supervisor (as Ctrl-C does) and make sure it is gone; return its exit code."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self._log is not None:
            self._log.close()
        return None if self.popen is None else self.popen.returncode

    def log(self):
        """Return what the supervisor and its children printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
