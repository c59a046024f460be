"""`make run`'s supervisor starts the whole store with nothing configured and stops it cleanly."""

import os
import signal
import subprocess
import sys
import time

import psutil
import requests

from app.platform.embedded import free_port
from tests.servers import ROOT, wait_until


def test_run_starts_everything_serves_the_store_and_stops_without_orphans(tmp_path, out_dir):
    port, mongo_port, stripe_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MONGODB_URI", "REDIS_URL", "STRIPE_SECRET_KEY", "SECRET_KEY")}
    env.update(PORT=str(port), MONGODB_EMBEDDED_PORT=str(mongo_port), LOCALSTRIPE_PORT=str(stripe_port),
               INSTANCE_PATH=str(tmp_path / "instance"), WEB_WORKERS="1", LOG_LEVEL="WARNING")
    log = open(out_dir / "run-command.log", "wb")
    runner = subprocess.Popen([sys.executable, "-m", "app.platform.runner"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"

        def ready():
            try:
                return requests.get(f"{base}/readyz", timeout=1).status_code == 200
            except requests.RequestException:  # not listening yet, or too busy to answer in time
                assert runner.poll() is None, (out_dir / "run-command.log").read_text()
                return False

        wait_until(ready, timeout=90, interval=0.3, message="the store to come up")
        children = psutil.Process(runner.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "app.platform.embedded mongo" in names  # MONGODB_URI unset: the embedded server
        assert "localstripe" in names  # no Stripe key: demo payments
        assert "app.worker" in names and "gunicorn" in names
        assert (tmp_path / "instance" / "secret_key").exists()  # generated once, kept in the instance folder
        home = requests.get(base + "/", timeout=5)
        assert home.status_code == 200
        assert "Glastonbury weekend pass" in home.text  # the demo catalogue of an empty store
        runner.send_signal(signal.SIGINT)
        assert runner.wait(60) == 0
        time.sleep(0.2)
        assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
    finally:
        if runner.poll() is None:
            runner.kill()
        log.close()
