"""The catalogue as visitors use it, in Debian's headless Chromium against the store as `make run` starts it: a seller
lists a ticket for a new event and, as its organiser, edits the event; a buyer on a phone searches, opens the event,
the ticket, reserves and pays."""

import uuid

import pytest

from tests.e2e.support import pay_with_card, sign_up, unique_email, wait_for_text
from tests.servers import wait_until

pytestmark = pytest.mark.e2e


def sell_for_new_event(page, base, name, title, price):
    """List a ticket through the sell form, describing a new event there; return the ticket page's URL."""
    page.goto(f"{base}/tickets/new")
    page.get_by_label("Event", exact=True).select_option("new")
    page.get_by_label("Event name").fill(name)
    page.get_by_label("Venue", exact=True).fill("Coliseu dos Recreios")
    page.get_by_label("City").fill("Lisbon")
    page.get_by_label("Date and time").fill("2030-05-01T21:00")
    page.get_by_label("Venue's time zone").select_option("Europe/Lisbon")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Price").fill(price)
    page.get_by_role("button", name="Sell").click()
    page.wait_for_url(f"{base}/tickets/*")
    assert "Your ticket is for sale." in page.inner_text("body")
    return page.url


def test_a_buyer_searches_opens_the_event_and_the_ticket_reserves_and_pays(store, new_page):
    seller = new_page()
    sign_up(seller, store.url, unique_email("seller"))
    band = f"Aurora{uuid.uuid4().hex[:6]}"
    ticket_url = sell_for_new_event(seller, store.url, f"{band} Live", "Stalls, row B", "55")
    facts = seller.inner_text(".facts")
    assert f"{band} Live" in facts and "Wednesday 1 May 2030, 9:00 pm" in facts
    assert "Coliseu dos Recreios, Lisbon" in facts
    # The seller organises the event they described: they move it half an hour and to another hall.
    seller.locator(".facts").get_by_role("link", name=f"{band} Live").click()
    seller.get_by_role("link", name="Edit event").click()
    assert seller.get_by_label("Date and time").input_value() == "2030-05-01T21:00"
    seller.get_by_label("Venue", exact=True).fill("Campo Pequeno")
    seller.get_by_label("Date and time").fill("2030-05-01T21:30")
    seller.get_by_label("Venue's time zone").select_option("Europe/Lisbon")
    seller.get_by_role("button", name="Save").click()
    assert "Your event was updated." in seller.inner_text("body")
    assert "wednesday 1 may 2030, 9:30 pm" in seller.inner_text("main").lower()  # the date is in capitals
    assert "Campo Pequeno · Lisbon" in seller.inner_text("main")

    buyer = new_page(width=375)
    sign_up(buyer, store.url, unique_email("buyer"))  # lands on the home page: upcoming events
    assert buyer.get_by_role("heading", name="Upcoming events").is_visible()
    # The same layout at 375 px: nothing wider than the screen (no sideways scrolling).
    assert buyer.evaluate("document.documentElement.scrollWidth") <= 375
    buyer.get_by_label("Search events").fill(band.lower())
    buyer.get_by_role("button", name="Search").click()
    card = buyer.locator(".event-card", has_text=band)
    assert card.count() == 1 and buyer.locator(".event-card").count() == 1
    assert "from $55.00" in card.inner_text() and "1 ticket" in card.inner_text()
    assert "wed 1 may 2030, 9:30 pm" in card.inner_text().lower()  # the card's date is in capitals
    assert "Campo Pequeno · Lisbon" in card.inner_text()

    assert buyer.evaluate("document.documentElement.scrollWidth") <= 375
    card.get_by_role("link", name=f"{band} Live").click()
    assert buyer.get_by_role("heading", name=f"{band} Live").is_visible()
    assert "1 ticket for sale" in buyer.inner_text("main")
    buyer.get_by_role("link", name="Stalls, row B").click()
    assert buyer.url == ticket_url
    assert "Wednesday 1 May 2030, 9:30 pm" in buyer.inner_text(".facts")

    buyer.get_by_role("button", name="Purchase").click()
    buyer.wait_for_url(f"{store.url}/orders/*")
    wait_for_text(buyer, "Campo Pequeno, Lisbon", reload=True, where=".facts")  # orders' replica of the event
    order = buyer.inner_text(".facts")
    assert f"{band} Live" in order and "Wednesday 1 May 2030, 9:30 pm" in order
    pay_with_card(buyer)
    wait_for_text(buyer, "Paid", timeout=30, where="#payment-status")
    wait_for_text(buyer, "Paid", timeout=20, reload=True, where=".facts")

    # Sold: the event has nothing left for sale.
    def sold_out():
        buyer.goto(f"{store.url}/?q={band}")
        return "No tickets yet" in buyer.locator(".event-card", has_text=band).inner_text()

    wait_until(sold_out, timeout=20, message="the event to show no tickets left")
