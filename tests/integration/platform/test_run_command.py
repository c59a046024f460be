"""`make run`'s supervisor starts the whole store with nothing configured and stops it cleanly."""

import time

import psutil
import requests

from tests.servers import Store


def test_run_starts_everything_serves_the_store_and_stops_without_orphans(tmp_path, out_dir):
    store = Store(out_dir / "run-command.log", tmp_path / "instance", WEB_WORKERS="1")
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "left-by-an-older-run.log").write_text("readable by anyone\n")
    (tmp_path / "instance" / "left-by-an-older-run.log").chmod(0o644)
    try:
        store.start()
        children = psutil.Process(store.popen.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "app.platform.embedded mongo" in names  # MONGODB_URI unset: the embedded server
        assert "localstripe" in names  # no Stripe key: demo payments
        assert "app.worker" in names and "gunicorn" in names
        assert (tmp_path / "instance" / "secret_key").exists()  # generated once, kept in the instance folder
        home = requests.get(store.url + "/", timeout=5)
        assert home.status_code == 200
        # The demo catalogue of an empty store: dated events over the coming weeks.
        assert "Hamilton" in home.text and "Richard Rodgers Theatre" in home.text
        # Demo services are for this machine only: localstripe listens on the loopback address, nowhere else.
        [stripe] = [c for c in children if "localstripe" in " ".join(c.cmdline())]
        listening = {c.laddr.ip for c in stripe.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}
        # The database, the queue, the secret and the logs are readable by this user alone.
        instance = tmp_path / "instance"
        assert {p.name for p in instance.iterdir()} >= {"mongo.sqlite", "huey.sqlite", "secret_key"}
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in instance.rglob("*") if p.is_file()}
        assert set(modes.values()) == {oct(0o600)}, modes
        assert instance.stat().st_mode & 0o077 == 0
    finally:
        code = store.stop()
    assert code == 0
    time.sleep(0.2)
    assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
