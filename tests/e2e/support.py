"""What the browser flows share: the store as `make run` starts it, the browser's settings, and visitor steps."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from app.platform.embedded import free_port
from tests.servers import ROOT, wait_until

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Long enough to sign up, reserve and pay by hand in a slow browser; the short-window store is for expiry only.
PAY_WINDOW_SECONDS = 300
SHORT_WINDOW_SECONDS = 8
# Settings the runner must NOT inherit: with them unset it starts everything itself, as `make run` does.
_CONFIGURED = ("MONGODB_URI", "REDIS_URL", "STRIPE_SECRET_KEY", "SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
               "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "HUEY_NAME", "CONTEXTS", "EVENT_TRANSPORT")


class Store:
    """A whole store started by the `make run` supervisor, reachable at `url`."""

    def __init__(self, name, out_dir, instance, **settings):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(out_dir) / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if k not in _CONFIGURED}
        env.update(PORT=str(self.port), MONGODB_EMBEDDED_PORT=str(free_port()), LOCALSTRIPE_PORT=str(free_port()),
                   INSTANCE_PATH=str(instance), SWEEP_INTERVAL_SECONDS="1", WEB_WORKERS="2", LOG_LEVEL="WARNING")
        env.update({k: str(v) for k, v in settings.items()})
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - kept open for the life of the store
        self.popen = subprocess.Popen([sys.executable, "-m", "app.platform.runner"], cwd=ROOT, env=env,
                                      stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=90):
        """Block until /readyz answers 200, failing with the supervisor's log if it dies first."""

        def ready():
            assert self.popen.poll() is None, f"the {self.name} store exited:\n{self.log()[-4000:]}"
            try:
                return requests.get(f"{self.url}/readyz", timeout=3).status_code == 200
            except requests.RequestException:  # not listening yet, or busy starting up
                return False

        wait_until(ready, timeout=timeout, interval=0.2, message=f"the {self.name} store to be ready")
        return self

    def stop(self):
        """Stop it as Ctrl-C does (SIGINT), and make sure it is gone."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()

    def log(self):
        """Return what the supervisor and its children printed so far."""
        return self.log_path.read_text(errors="replace")


PASSWORD = "e2e-pass-1"
DEMO_CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "30", "cvc": "123", "postal_code": "75001"}
CLOCK = re.compile(r"^\d+:\d\d$")


def unique_email(prefix="visitor"):
    """Return an email address no other flow uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@e2e.example"


def unique_title(what="Gig"):
    """Return a ticket title no other flow uses."""
    return f"{what} {uuid.uuid4().hex[:6]}"


def header(page):
    """Return the text of the page's header (brand and navigation)."""
    return page.locator("header.site-header").inner_text()


def sign_up(page, base, email=None, password=PASSWORD):
    """Create an account through the sign-up page; return the email, now shown in the header."""
    email = email or unique_email()
    page.goto(f"{base}/auth/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")
    assert email in header(page)
    return email


def sign_in(page, base, email, password=PASSWORD):
    """Fill and send the sign-in form (the caller checks the outcome)."""
    page.goto(f"{base}/auth/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sell_ticket(page, base, title, price):
    """List a ticket through the sell form; return the ticket page's URL."""
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sell tickets").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Price").fill(price)
    page.get_by_role("button", name="Sell").click()
    page.wait_for_url(re.compile(r".*/tickets/[0-9a-f]{24}$"))
    assert "Your ticket is for sale." in page.inner_text("body")
    return page.url


def purchase(page, ticket_url):
    """Press Purchase on a ticket's page; return the order page's URL."""
    page.goto(ticket_url)
    page.get_by_role("button", name="Purchase").click()
    page.wait_for_url(re.compile(r".*/orders/[0-9a-f]{24}$"))
    return page.url


def pay_with_card(page, card=DEMO_CARD):
    """Type the card into the order page's card field and press Pay."""
    field = page.locator("#card-element")
    # The card field appears once payments has heard of the order (the page reloads itself until then).
    field.locator('input[placeholder="number"]').wait_for(timeout=30_000)
    for name, value in card.items():
        field.locator(f'input[placeholder="{name}"]').fill(value)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def wait_for_text(page, text, timeout=20.0, reload=False, where="body"):
    """Wait until the page shows `text`, reloading between looks when the change happens on the server."""
    deadline = time.monotonic() + timeout
    while True:
        if text in page.locator(where).inner_text():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear on {page.url} within {timeout} s")
        time.sleep(0.5)
        if reload:
            page.reload()


def ticket_status(base, ticket_url):
    """Return the ticket's status as the JSON API reports it."""
    ticket_id = ticket_url.rstrip("/").rsplit("/", 1)[1]
    return requests.get(f"{base}/api/tickets/{ticket_id}", timeout=5).json()["status"]
