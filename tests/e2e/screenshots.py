"""Take the README's screenshots from a freshly started store: `python -m tests.e2e.screenshots [folder]`.

It starts the store as `make run` does (demo catalogue, demo Stripe), then, as a new buyer, photographs the home page
of upcoming events, an event with its tickets, a ticket, the order counting down, and the paid order, each at phone
(375 px) and desktop (1280 px) width, into
docs/screenshots/{home,event,ticket,order-countdown,order-paid}-{phone,desktop}.png.
"""

import sys
import tempfile
from pathlib import Path

from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Store,
    pay_with_card,
    purchase,
    sign_up,
    wait_for_text,
)
from tests.servers import ROOT

WIDTHS = {"phone": 375, "desktop": 1280}
DEMO_EVENT = "Radiohead"
DEMO_TICKET = "Section 224, row 3"


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
    """Walk a buyer through the store at `base_url` and photograph the five pages; return the files written."""
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
            written += shoot(page, folder, "order-paid")
        finally:
            browser.close()
    return written


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
