"""Take the README's screenshots from a freshly started store: `python -m tests.e2e.screenshots [folder]`.

It starts the store as `make run` does (demo catalogue, demo Stripe), then, as a new buyer, photographs the home page
of upcoming events, an event with its tickets, a ticket, the order counting down, the paid order, its e-ticket with the
QR code and "My tickets"; then, as the event's organiser (a demo seller), the door page having just scanned that
e-ticket. Each at phone (375 px) and desktop (1280 px) width, into docs/screenshots/{home,event,ticket,
order-countdown,order-paid,eticket,my-tickets,door}-{phone,desktop}.png.
"""

import sys
import tempfile
from pathlib import Path

from app.demo import DEMO_PASSWORD
from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Store,
    pay_with_card,
    purchase,
    sign_in,
    sign_up,
    wait_for_text,
)
from tests.servers import ROOT

WIDTHS = {"phone": 375, "desktop": 1280}
DEMO_EVENT = "Radiohead"
DEMO_TICKET = "Section 224, row 3"
DEMO_ORGANISER = "ada@demo.example"  # who announced DEMO_EVENT in the demo catalogue, and so keeps its door


def shoot(page, folder, name):
    """Save the current page at every width as <name>-<width name>.png; return the files written."""
    written = []
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 812 if label == "phone" else 800})
        page.wait_for_timeout(300)  # let the layout settle (and the countdown tick) at the new width
        path = Path(folder) / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(path)
    return written


def take_screenshots(base_url, folder):
    """Walk a buyer, then the event's organiser, through the store at `base_url` and photograph the eight pages;
    return the files written."""
    from playwright.sync_api import sync_playwright

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(20_000)
            sign_up(page, base_url, "sam@example.com")
            page.goto(f"{base_url}/")
            written += shoot(page, folder, "home")
            page.get_by_role("link", name=DEMO_EVENT, exact=True).click()
            written += shoot(page, folder, "event")
            page.get_by_role("link", name=DEMO_TICKET).click()
            ticket_url = page.url
            written += shoot(page, folder, "ticket")
            purchase(page, ticket_url)
            page.locator('#card-element input[placeholder="number"]').wait_for(timeout=30_000)
            written += shoot(page, folder, "order-countdown")
            page.set_viewport_size({"width": 1280, "height": 800})
            pay_with_card(page)
            wait_for_text(page, "Paid", timeout=30, where="#payment-status")
            wait_for_text(page, "Paid", timeout=20, reload=True, where=".facts")
            wait_for_text(page, "Show my e-ticket", timeout=30, reload=True)  # once tickets has issued the code
            written += shoot(page, folder, "order-paid")
            page.get_by_role("link", name="Show my e-ticket").click()
            page.locator("svg.qr-code").wait_for()
            code = page.url.rsplit("/", 1)[1]
            written += shoot(page, folder, "eticket")
            page.set_viewport_size({"width": 1280, "height": 800})
            page.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
            page.get_by_role("link", name="Show e-ticket").wait_for()
            written += shoot(page, folder, "my-tickets")
            written += shoot_the_door(browser, base_url, folder, code)
        finally:
            browser.close()
    return written


def shoot_the_door(browser, base_url, folder, code):
    """As the demo event's organiser, scan the buyer's code at its door page and photograph the answer."""
    door = browser.new_page(viewport={"width": 1280, "height": 800})  # a context of its own: another person
    door.set_default_timeout(20_000)
    sign_in(door, base_url, DEMO_ORGANISER, DEMO_PASSWORD)
    door.wait_for_url(f"{base_url}/")
    door.get_by_role("link", name=DEMO_EVENT, exact=True).click()
    door.get_by_role("link", name="Open the door (check tickets in)").click()
    door.wait_for_url(f"{base_url}/events/*/door")
    door.locator("input[name=code]").wait_for()
    with door.expect_navigation():  # as a keyboard-wedge scanner does: keys into the focused field, then Enter
        door.keyboard.type(code)
        door.keyboard.press("Enter")
    wait_for_text(door, "Valid: let them in", where="#door-answer")
    return shoot(door, folder, "door")


def main(argv):
    """Start a store, take the screenshots, stop the store."""
    folder = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        store = Store("screenshots-store", tmp, Path(tmp) / "instance")
        try:
            store.wait_ready()
            for path in take_screenshots(store.url, folder):
                print(path)
        finally:
            store.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
