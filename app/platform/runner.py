"""The `make run` supervisor: start what is not configured, migrate, then run the worker and gunicorn.

Unset MONGODB_URI → the embedded MongoDB wire server (data in the instance folder). Unset STRIPE_SECRET_KEY → demo
payments against a local localstripe. Unset MAIL_SERVER → a local SMTP server keeping each message in the instance
folder (shown at /dev/mail in demo mode). SIGINT or SIGTERM stops every child, web and worker first, and leaves no
orphans (each child also gets SIGTERM from the kernel if this supervisor dies).
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from app import config as settings
from app.platform import localstripe, smtp
from app.platform.embedded import wait_for_port

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Linux: the kernel sends SIGTERM to the child if the supervisor dies, even by SIGKILL.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Supervisor:
    """Start children, watch them, and stop them all in reverse order."""

    def __init__(self, env):
        self.env = env
        self.children = []  # (name, Popen)
        self.stopping = False

    def spawn(self, name, args):
        """Start a child in its own session (the terminal's Ctrl-C reaches only the supervisor)."""
        popen = subprocess.Popen(args, env=self.env, start_new_session=True, preexec_fn=_die_with_parent)
        self.children.append((name, popen))
        return popen

    def run_step(self, name, args):
        """Run a one-off command to completion, failing loudly."""
        result = subprocess.run(args, env=self.env, start_new_session=True, preexec_fn=_die_with_parent)
        if result.returncode != 0:
            raise SystemExit(f"{name} failed with exit code {result.returncode}")

    def watch(self):
        """Block until a stop signal arrives or a child exits; return the exit code for the supervisor."""
        while not self.stopping:
            for name, popen in self.children:
                if popen.poll() is not None:
                    print(f"{name} exited with {popen.returncode}; stopping everything", file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.2)
        return 0

    def stop_all(self, timeout=15.0):
        """SIGTERM every child (newest first), then SIGKILL whatever outlives the timeout."""
        for _name, popen in reversed(self.children):
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
                try:
                    popen.wait(timeout)
                except subprocess.TimeoutExpired:
                    popen.kill()
                    popen.wait(5)


def keep_private(instance):
    """Make the instance folder and everything in it readable by this user only, now and for files made later."""
    # The embedded database, the SQLite queue, the secret key and the logs hold accounts, sessions' secrets and
    # payments: no other user of the machine may read them. The children inherit the umask.
    os.umask(0o077)
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    for path in instance.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def main():
    """Run the whole store until Ctrl-C."""
    env = dict(os.environ)
    python = sys.executable
    config = settings.from_env(env)
    instance = Path(config["INSTANCE_PATH"])
    keep_private(instance)
    env["INSTANCE_PATH"] = str(instance)
    # Metrics of every process (gunicorn's workers, the Huey worker) add up in one folder, emptied at each start.
    metrics_dir = instance / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(mode=0o700)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    supervisor = Supervisor(env)
    stripe_server = None

    def request_stop(signum, _frame):
        supervisor.stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    code = 1
    try:
        if not env.get("MONGODB_URI"):
            port = config["MONGODB_EMBEDDED_PORT"]
            mongo = supervisor.spawn("mongodb", [python, "-m", "app.platform.embedded", "mongo",
                                                 "--path", str(instance / "mongo.sqlite"), "--port", str(port)])
            wait_for_port("127.0.0.1", port, timeout=30, process=mongo)
            env["MONGODB_URI"] = config["MONGODB_URI"]
        if not env.get("STRIPE_SECRET_KEY") and "payments" in config["CONTEXTS"]:
            stripe_server = localstripe.start(config["LOCALSTRIPE_PORT"], log_path=instance / "localstripe.log")
            localstripe.register_webhook(stripe_server.url,
                                         f"http://127.0.0.1:{config['PORT']}/api/payments/webhook",
                                         localstripe.effective_settings(config)["webhook_secret"])
            print(f"demo payments: localstripe at {stripe_server.url}", flush=True)
        if not env.get("MAIL_SERVER") and "notifications" in config["CONTEXTS"]:
            port = config["MAIL_EMBEDDED_PORT"]
            folder = smtp.mailbox_dir(instance)
            mail = supervisor.spawn("mail", [python, "-m", "app.platform.smtp", "--dir", str(folder),
                                             "--port", str(port)])
            wait_for_port("127.0.0.1", port, timeout=30, process=mail)
            print(f"demo mail: SMTP at 127.0.0.1:{port}, messages kept in {folder}", flush=True)
        flask = [python, "-m", "flask", "--app", "wsgi"]
        supervisor.run_step("migrations", [*flask, "db", "upgrade"])
        if "tickets" in config["CONTEXTS"] and "auth" in config["CONTEXTS"]:
            supervisor.run_step("demo catalogue", [*flask, "seed-demo", "--if-empty"])
        supervisor.spawn("worker", [python, "-m", "app.worker"])
        supervisor.spawn("gunicorn", [
            python, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{config['PORT']}",
            "--workers", str(config["WEB_WORKERS"]), "--threads", "4", "--worker-class", "gthread",
            "--timeout", "30", "--graceful-timeout", "10",
            "--control-socket", str(instance / "gunicorn.ctl"),
        ])
        wait_for_port("127.0.0.1", config["PORT"], timeout=60, process=supervisor.children[-1][1])
        print(f"ticketing is running at http://127.0.0.1:{config['PORT']} (Ctrl-C stops it)", flush=True)
        code = supervisor.watch()
    finally:
        supervisor.stop_all()
        if stripe_server is not None:
            stripe_server.stop()
    print("ticketing stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
