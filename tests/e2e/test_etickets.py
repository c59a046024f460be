"""E-tickets in the browser (issue 16): a buyer's e-ticket with its QR code, checked in at the organiser's door by a
keyboard-wedge scanner (typed keys and Enter), and a resale that voids the old code at the door."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.demo import DEMO_BUYER, DEMO_PASSWORD
from tests.e2e.support import (
    header,
    pay_with_card,
    purchase,
    sign_in,
    sign_up,
    unique_email,
    unique_title,
    wait_for_text,
)

pytestmark = pytest.mark.e2e
ETICKET_URL = re.compile(r".*/etickets/[A-Za-z0-9_-]{32}$")


def create_event(page, base, name):
    """Announce an event as the signed-in user of `page` (through the JSON API, with the page's session)."""
    starts = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0).isoformat()
    response = page.request.post(f"{base}/api/events", data={"name": name, "venue": "Royal Albert Hall",
                                                               "city": "London", "startsAt": starts})
    assert response.status == 201, response.text()
    return response.json()["id"]


def sell_for_event(page, base, event_id, title, price):
    """List a ticket for the event through the sell form (the event chosen); return the ticket page's URL."""
    page.goto(f"{base}/tickets/new?eventId={event_id}")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Price").fill(price)
    page.get_by_role("button", name="Sell").click()
    page.wait_for_url(re.compile(r".*/tickets/[0-9a-f]{24}$"))
    return page.url


def buy_and_open_eticket(page, ticket_url):
    """Buy the ticket, pay by card, and open the e-ticket from the paid order's page; return its code."""
    purchase(page, ticket_url)
    pay_with_card(page)
    wait_for_text(page, "Paid", timeout=30, where="#payment-status")
    wait_for_text(page, "Show my e-ticket", timeout=30, reload=True)  # once tickets has issued the code
    page.get_by_role("link", name="Show my e-ticket").click()
    page.wait_for_url(ETICKET_URL)
    return page.url.rsplit("/", 1)[1]


def scan(door, code):
    """Scan a code as a keyboard-wedge scanner does: it types into the focused field and presses Enter."""
    assert door.evaluate("document.activeElement.name") == "code"  # focused on load: nobody needs to click
    with door.expect_navigation():
        door.keyboard.type(code)
        door.keyboard.press("Enter")
    return door.locator("#door-answer").inner_text()


def test_buy_show_the_qr_check_in_at_the_door_and_a_second_scan_is_refused(store, new_page):
    organiser = new_page()
    sign_up(organiser, store.url, unique_email("organiser"))
    name = unique_title("Proms")
    event_id = create_event(organiser, store.url, name)
    ticket_url = sell_for_event(organiser, store.url, event_id, "Arena standing", "35")

    buyer = new_page(width=375)
    buyer_email = sign_up(buyer, store.url, unique_email("buyer"))
    code = buy_and_open_eticket(buyer, ticket_url)
    qr = buyer.locator("svg.qr-code")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    main = buyer.inner_text("main")
    assert name in main and "Royal Albert Hall" in main and "Arena standing" in main and buyer_email in main
    assert "Valid" in buyer.inner_text("#eticket-status")
    assert buyer.get_by_role("button", name="Print e-ticket").is_visible()  # the page's script offers printing
    buyer.emulate_media(media="print")
    assert not buyer.locator("header.site-header").is_visible() and qr.is_visible()
    buyer.emulate_media(media="screen")
    # The holder finds it again under My tickets.
    buyer.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
    assert buyer.get_by_role("link", name="Show e-ticket").get_attribute("href") == f"/etickets/{code}"

    door = organiser
    door.goto(f"{store.url}/events/{event_id}")
    door.get_by_role("link", name="Open the door (check tickets in)").click()
    assert door.inner_text("#sold-count") == "1" and door.inner_text("#checked-in-count") == "0"
    answer = scan(door, code)
    assert "Valid: let them in" in answer and buyer_email in answer
    assert door.locator(".door-answer.door-green").is_visible()
    assert door.inner_text("#checked-in-count") == "1"
    again = scan(door, code)
    assert "Already checked in" in again and buyer_email in again and "Checked in at" in again
    assert door.locator(".door-answer.door-amber").is_visible()
    assert "Unknown code" in scan(door, "A" * 32)
    # Nobody else opens the e-ticket page.
    stranger = new_page()
    sign_up(stranger, store.url, unique_email("stranger"))
    response = stranger.goto(f"{store.url}/etickets/{code}")
    assert response.status == 404 and code not in stranger.content()


def test_resale_voids_the_old_code_at_the_door_and_the_new_one_is_valid(store, new_page):
    organiser = new_page()
    sign_up(organiser, store.url, unique_email("organiser"))
    event_id = create_event(organiser, store.url, unique_title("Last Night"))
    ticket_url = sell_for_event(organiser, store.url, event_id, "Gallery", "40")

    holder = new_page()
    sign_up(holder, store.url, unique_email("holder"))
    old_code = buy_and_open_eticket(holder, ticket_url)
    assert "My tickets" in header(holder)
    holder.goto(f"{store.url}/account")
    holder.get_by_label("Price (at most $48.00)").fill("45")
    holder.get_by_role("button", name="Resell").click()
    holder.wait_for_url(ticket_url)
    assert "Your ticket is for sale again" in holder.inner_text("main")

    third = new_page(width=375)
    third_email = sign_up(third, store.url, unique_email("third"))
    new_code = buy_and_open_eticket(third, ticket_url)
    assert new_code != old_code and third_email in third.inner_text("main")

    holder.goto(f"{store.url}/etickets/{old_code}")
    assert "void" in holder.inner_text("main").lower() and holder.locator("svg.qr-code").count() == 0

    organiser.goto(f"{store.url}/events/{event_id}/door")
    void = scan(organiser, old_code)
    assert "Void: this ticket was resold" in void
    assert organiser.locator(".door-answer.door-red").is_visible()
    valid = scan(organiser, new_code)
    assert "Valid: let them in" in valid and third_email in valid
    organiser.goto(ticket_url)
    history = organiser.inner_text(".sales")
    assert "Sold for $40.00" in history and "Resold for $45.00" in history


def test_the_demo_store_has_a_buyer_holding_an_e_ticket_its_organiser_can_check(store, new_page):
    """`make run` seeds a demo buyer who bought and paid for a ticket the way a visitor does: signed in as them, My
    tickets lists its e-ticket with a QR code; the event's organiser (a demo seller) opens its door page."""
    fan = new_page(width=375)
    sign_in(fan, store.url, DEMO_BUYER, DEMO_PASSWORD)
    fan.wait_for_url(f"{store.url}/")
    fan.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
    held = fan.inner_text("main")
    assert "Hamilton" in held and "Orchestra, row F" in held
    fan.get_by_role("link", name="Show e-ticket").click()
    fan.wait_for_url(ETICKET_URL)
    code = fan.url.rsplit("/", 1)[1]
    assert fan.locator("svg.qr-code").is_visible() and "Valid" in fan.inner_text("#eticket-status")
    assert DEMO_BUYER in fan.inner_text("main")
    orders = fan.request.get(f"{store.url}/api/orders").json()
    assert [(o["status"], o["ticket"]["title"], o["eticket"]["code"]) for o in orders] == [
        ("complete", "Orchestra, row F", code)]

    organiser = new_page()
    sign_in(organiser, store.url, "grace@demo.example", DEMO_PASSWORD)
    organiser.wait_for_url(f"{store.url}/")
    organiser.get_by_role("link", name="Hamilton", exact=True).click()
    organiser.get_by_role("link", name="Open the door (check tickets in)").click()
    assert organiser.inner_text("#sold-count") == "1" and organiser.inner_text("#checked-in-count") == "0"
    looked_up = organiser.request.get(f"{store.url}/api/etickets/{code}").json()
    assert (looked_up["status"], looked_up["holder"], looked_up["title"]) == ("valid", DEMO_BUYER, "Orchestra, row F")
