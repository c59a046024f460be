"""What the browser flows share: the store as `make run` starts it, the browser's settings, and visitor steps."""

import os
import re
import time
import uuid
from pathlib import Path

import requests

from tests import servers

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Long enough to sign up, reserve and pay by hand in a slow browser; the short-window store is for expiry only.
PAY_WINDOW_SECONDS = 300
SHORT_WINDOW_SECONDS = 8


class Store(servers.Store):
    """A named store started by the `make run` supervisor, launched at once (wait_ready() before use)."""

    def __init__(self, name, out_dir, instance, **settings):
        super().__init__(Path(out_dir) / f"{name}.log", instance, **({"SWEEP_INTERVAL_SECONDS": "1",
                                                                         "WEB_WORKERS": "2"} | settings))
        self.name = name
        self.launch()


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
