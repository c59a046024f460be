"""docker/entrypoint.sh, run here as the image runs it: each role starts, serves, and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from app.platform.embedded import free_port
from tests.conftest import env_for
from tests.servers import ROOT, Process, wait_until

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


@pytest.fixture
def role_env(base_env, tmp_path):
    """Return a function giving the environment of a container role: this test's queue and instance folder."""

    def make(**overrides):
        return env_for(base_env, PYTHON=sys.executable, HUEY_NAME=f"ticketing-entrypoint-{uuid.uuid4().hex[:8]}",
                       INSTANCE_PATH=tmp_path / "instance", PORT=free_port(), WEB_WORKERS=1, LOG_LEVEL="INFO",
                       MAIL_EMBEDDED_PORT=free_port(), **overrides)

    return make


@pytest.fixture
def run_role(out_dir, request):
    """Return a function starting `docker/entrypoint.sh ROLE` as a container would; every process ends after."""
    started = []

    def run(role, env):
        log = out_dir / f"entrypoint-{request.node.name}-{len(started)}.log"
        proc = Process(["bash", str(ENTRYPOINT), role], env, log)
        started.append(proc)
        return proc

    yield run
    for proc in started:
        proc.stop()


def _ready(env):
    def check():
        try:
            return requests.get(f"http://127.0.0.1:{env['PORT']}/readyz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet, or still starting up
            return False

    return check


def _terminate(proc, timeout=25):
    """Send SIGTERM to the role's own process only (as `docker stop` signals PID 1) and return its exit status."""
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    status = proc.popen.wait(timeout)
    return status, time.monotonic() - started


def _group_is_empty(proc):
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_worker_role_consumes_and_stops_on_sigterm(role_env, run_role):
    """Start the Huey consumer and stop it cleanly on SIGTERM."""
    proc = run_role("worker", role_env())
    wait_until(lambda: "worker started" in proc.log() or not proc.alive(), timeout=30, message="worker start")
    assert proc.alive(), proc.log()[-3000:]

    status, _seconds = _terminate(proc)

    assert status == 0, proc.log()[-3000:]
    wait_until(lambda: _group_is_empty(proc), timeout=10, message="no process left")


def test_web_role_migrates_serves_and_stops_on_sigterm(role_env, run_role):
    """Apply migrations, serve /readyz on $PORT with gunicorn, and stop on SIGTERM."""
    env = role_env()
    proc = run_role("web", env)
    wait_until(_ready(env), timeout=45, message="web /readyz")
    assert "applied" in proc.log() and "migrations" in proc.log()

    status, _seconds = _terminate(proc)

    assert status == 0, proc.log()[-3000:]
    wait_until(lambda: _group_is_empty(proc), timeout=10, message="no process left")


def test_all_role_with_nothing_configured_runs_everything_and_forwards_sigterm(role_env, run_role, tmp_path):
    """Start embedded MongoDB, demo Stripe, local SMTP, web and worker in one container; SIGTERM stops them all."""
    env = role_env(MONGODB_URI="", MONGODB_EMBEDDED_PORT=free_port(), LOCALSTRIPE_PORT=free_port(),
                   STRIPE_SECRET_KEY="")
    proc = run_role("all", env)
    wait_until(_ready(env), timeout=60, message="all /readyz")
    wait_until(lambda: "worker started" in proc.log(), timeout=30, message="worker start")
    base = f"http://127.0.0.1:{env['PORT']}"
    session = requests.Session()
    signup = session.post(base + "/api/users/signup", json={"email": "all@example.com", "password": "secret"},
                          timeout=10)
    assert signup.status_code == 201, signup.text
    assert requests.get(f"http://127.0.0.1:{env['LOCALSTRIPE_PORT']}/js.stripe.com/v3/", timeout=5).ok
    # No MAIL_SERVER: the welcome email lands on the container's own SMTP server, in the instance folder.
    wait_until(lambda: list((tmp_path / "instance" / "mail").glob("*.eml")), timeout=30, message="the welcome email")

    status, seconds = _terminate(proc)

    assert status == 0, proc.log()[-3000:]
    assert seconds < 25
    wait_until(lambda: _group_is_empty(proc), timeout=10, message="every child process stopped")


def test_all_role_stops_when_one_of_its_processes_dies(role_env, run_role):
    """End the container (non-zero) when the worker or web dies, so the orchestrator restarts it."""
    env = role_env(STRIPE_SECRET_KEY="sk_test_configured")
    proc = run_role("all", env)
    wait_until(_ready(env), timeout=45, message="all /readyz")
    wait_until(lambda: "worker started" in proc.log(), timeout=30, message="worker start")
    worker_pids = subprocess.run(["pgrep", "-g", str(proc.pid), "-f", "-x", f"{sys.executable} -m app.worker"],
                                 check=False, capture_output=True, text=True).stdout.split()
    assert len(worker_pids) == 1
    os.kill(int(worker_pids[0]), signal.SIGKILL)

    status = proc.popen.wait(25)

    assert status != 0
    wait_until(lambda: _group_is_empty(proc), timeout=10, message="the web stopped too")


def test_unknown_role_is_refused(role_env, run_role):
    """Refuse a role the image does not have, with a usage message."""
    proc = run_role("serve", role_env())
    assert proc.popen.wait(10) == 64
    assert "usage" in proc.log()
