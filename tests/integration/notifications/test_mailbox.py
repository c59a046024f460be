"""The embedded default: with no MAIL_SERVER the app sends to the local SMTP server that keeps messages in the
instance folder, and in demo mode the store shows them at /dev/mail; with MAIL_SERVER set that page does not exist."""

import stat
import subprocess
import sys

import pytest

from app.platform.embedded import free_port, wait_for_port
from app.platform.smtp import mailbox_dir
from tests.integration.notifications.support import signed_up
from tests.servers import ROOT, wait_until

pytestmark = pytest.mark.consumer


@pytest.fixture
def embedded_smtp(app, tmp_path):
    """Start `python -m app.platform.smtp` as `make run` does, keeping messages in the app's instance folder."""
    port = free_port()
    folder = mailbox_dir(app.config["INSTANCE_PATH"])
    for old in folder.glob("*.eml"):
        old.unlink()
    log = open(tmp_path / "smtp.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "app.platform.smtp", "--dir", str(folder), "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, timeout=15, process=proc)
    yield port, folder
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture
def demo_store(app, mail_env, embedded_smtp, worker_factory):
    """Return the app in demo mode with no MAIL_SERVER (sending to the embedded server), and its worker."""
    port, folder = embedded_smtp
    settings = mail_env | {"MAIL_SERVER": "", "MAIL_EMBEDDED_PORT": str(port)}
    app.config.update(MAIL_SERVER="", MAIL_EMBEDDED_PORT=port, STRIPE_SECRET_KEY="")
    worker_factory(**settings)
    return folder


def test_the_demo_mailbox_lists_and_shows_what_the_store_sent(app, demo_store):
    client, email, _user_id = signed_up(app)
    [path] = wait_until(lambda: list(demo_store.glob("*.eml")), timeout=20, message="a message in the instance folder")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # mail is personal: only the store's user may read it

    listing = client.get("/dev/mail")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Demo mailbox" in page and email in page and "Welcome to Ticketing" in page
    assert f'href="/dev/mail/{path.stem}"' in page
    assert 'href="/dev/mail"' in client.get("/").get_data(as_text=True)  # linked from every page's footer

    shown = client.get(f"/dev/mail/{path.stem}").get_data(as_text=True)
    assert "Welcome to Ticketing" in shown and email in shown
    assert '<iframe class="mail-frame"' in shown and 'sandbox="allow-popups' in shown
    assert "allow-scripts" not in shown and "allow-same-origin" not in shown
    assert f'src="/dev/mail/{path.stem}/html"' in shown
    html = client.get(f"/dev/mail/{path.stem}/html")  # the HTML part, a document of its own for the frame
    assert html.mimetype == "text/html"
    assert html.get_data(as_text=True).startswith('<base target="_top"><!doctype html>')
    policy = html.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "style-src 'unsafe-inline'" in policy
    assert "frame-ancestors 'self'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Your account " + email + " is ready." in shown  # the plain-text part


def test_a_message_that_is_not_there_is_404(app, demo_store):
    client = app.test_client()
    assert client.get("/dev/mail/00000000000000000000-deadbeef").status_code == 404
    assert client.get("/dev/mail/..%2Fsecret_key").status_code == 404
    assert client.get("/dev/mail/secret_key").status_code == 404


@pytest.mark.parametrize("settings", [{"MAIL_SERVER": "smtp.example.com"}, {"STRIPE_SECRET_KEY": "sk_live_x"}],
                         ids=["mail-server-set", "live-payments"])
def test_outside_demo_mode_with_its_own_server_the_mailbox_does_not_exist(app, demo_store, settings):
    signed_up(app)
    wait_until(lambda: list(demo_store.glob("*.eml")), timeout=20, message="a message in the instance folder")
    [name] = [p.stem for p in demo_store.glob("*.eml")]
    app.config.update(settings)
    client = app.test_client()

    assert client.get("/dev/mail").status_code == 404
    assert client.get(f"/dev/mail/{name}").status_code == 404
    assert "/dev/mail" not in client.get("/").get_data(as_text=True)
