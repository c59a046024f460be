"""`make run`'s supervisor starts the whole store with nothing configured and stops it cleanly."""

import time

import psutil
import requests

from tests.servers import Store


def test_run_starts_everything_serves_the_store_and_stops_without_orphans(tmp_path, out_dir):
    store = Store(out_dir / "run-command.log", tmp_path / "instance", WEB_WORKERS="1")
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
        assert "Glastonbury weekend pass" in home.text  # the demo catalogue of an empty store
    finally:
        code = store.stop()
    assert code == 0
    time.sleep(0.2)
    assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
