"""The storefront as a visitor sees it: the five flows of issue 6 in Debian's headless Chromium, against the store
started as `make run` starts it (gunicorn, Huey consumer, embedded MongoDB, demo Stripe)."""

import pytest
import requests

from tests.e2e.support import (
    CLOCK,
    PASSWORD,
    header,
    pay_with_card,
    purchase,
    sell_ticket,
    sign_in,
    sign_up,
    ticket_status,
    unique_email,
    unique_title,
    wait_for_text,
)
from tests.servers import wait_until

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [375, 1280], ids=["phone", "desktop"])
def test_a_seller_signs_up_sells_a_ticket_and_sees_it_among_the_tickets_for_sale(store, new_page, width):
    page = new_page(width=width)
    sign_up(page, store.url)
    title = unique_title("Sunset Festival")

    ticket_url = sell_ticket(page, store.url, title, "42.50")

    assert page.get_by_role("heading", name=title).is_visible()
    assert "$42.50" in page.inner_text("main") and "Available" in page.inner_text("main")
    page.get_by_role("link", name="Ticketing").click()
    page.get_by_role("link", name="Browse every ticket for sale").click()
    card = page.locator(".ticket-card", has_text=title)
    assert card.is_visible()
    assert "$42.50" in card.inner_text()
    card.get_by_role("link", name=title).click()
    assert page.url == ticket_url
    # The seller is offered Edit, never Purchase, on their own ticket.
    assert page.get_by_role("link", name="Edit").is_visible()
    assert page.get_by_role("button", name="Purchase").count() == 0


def test_a_buyer_reserves_sees_the_countdown_pays_by_card_and_the_ticket_is_sold(store, new_page):
    seller = new_page()
    sign_up(seller, store.url, unique_email("seller"))
    title = unique_title("Opera night")
    ticket_url = sell_ticket(seller, store.url, title, "25.50")

    buyer = new_page(width=375)
    sign_up(buyer, store.url, unique_email("buyer"))
    buyer.goto(f"{store.url}/tickets")
    buyer.locator(".ticket-card", has_text=title).get_by_role("link").click()
    assert buyer.url == ticket_url
    purchase(buyer, ticket_url)

    countdown = buyer.locator("#countdown")
    first = countdown.inner_text()
    assert CLOCK.match(first), first
    assert 280 <= int(first.split(":")[0]) * 60 + int(first.split(":")[1]) <= 300
    wait_until(lambda: countdown.inner_text() != first, timeout=5, message="the countdown to tick")
    assert "$25.50" in buyer.inner_text("main")

    pay_with_card(buyer)

    wait_for_text(buyer, "Paid", timeout=30, where="#payment-status")
    # The order page, reloaded, says Paid from the server's records; the countdown and Cancel are gone.
    wait_for_text(buyer, "Paid", timeout=20, reload=True, where=".facts")
    assert buyer.locator("#countdown").count() == 0
    assert buyer.get_by_role("button", name="Cancel order").count() == 0
    buyer.get_by_role("navigation", name="Main").get_by_role("link", name="My orders").click()
    assert "Paid" in buyer.locator("tr", has_text=title).inner_text()

    # The ticket is sold: its page says so, nobody can buy it again, and it is gone from the home page.
    wait_until(lambda: ticket_status(store.url, ticket_url) == "sold", timeout=20, message="the ticket to be sold")
    latecomer = new_page()
    sign_up(latecomer, store.url, unique_email("latecomer"))
    latecomer.goto(ticket_url)
    assert "Sold" in latecomer.inner_text(".facts")
    assert latecomer.get_by_role("button", name="Purchase").count() == 0
    latecomer.goto(f"{store.url}/tickets")
    assert latecomer.locator(".ticket-card", has_text=title).count() == 0


def test_an_unpaid_reservation_expires_and_the_ticket_is_for_sale_again(short_store, new_page):
    seller = new_page()
    sign_up(seller, short_store.url, unique_email("seller"))
    title = unique_title("Jazz club")
    ticket_url = sell_ticket(seller, short_store.url, title, "15")
    buyer = new_page()
    sign_up(buyer, short_store.url, unique_email("buyer"))

    order_url = purchase(buyer, ticket_url)
    assert CLOCK.match(buyer.locator("#countdown").inner_text())

    # The page's own countdown runs out and says so, without a reload.
    buyer.locator("#countdown", has_text="expired").wait_for(timeout=20_000)
    assert "This reservation has expired" in buyer.inner_text("main")
    # The server cancelled it too: reloaded, the order says Expired and offers neither payment nor Cancel.
    wait_for_text(buyer, "Expired", timeout=20, reload=True, where=".facts")
    assert buyer.url == order_url
    assert buyer.locator("#card-element").count() == 0
    assert buyer.get_by_role("button", name="Cancel order").count() == 0

    # The ticket is for sale again: among the tickets for sale, with Purchase on its page for someone else.
    wait_until(lambda: ticket_status(short_store.url, ticket_url) == "available", timeout=20,
               message="the ticket to be for sale again")
    other = new_page()
    sign_up(other, short_store.url, unique_email("other"))
    other.goto(f"{short_store.url}/tickets")
    assert other.locator(".ticket-card", has_text=title).is_visible()
    other.goto(ticket_url)
    assert "Available" in other.inner_text(".facts")
    assert other.get_by_role("button", name="Purchase").is_visible()


def test_the_owner_edits_a_ticket_but_not_once_it_is_reserved(store, new_page):
    seller = new_page()
    sign_up(seller, store.url, unique_email("seller"))
    ticket_url = sell_ticket(seller, store.url, unique_title("Theatre"), "30")

    seller.get_by_role("link", name="Edit").click()
    new_title = unique_title("Theatre, front row")
    seller.get_by_label("Title").fill(new_title)
    seller.get_by_label("Price").fill("35.75")
    seller.get_by_role("button", name="Save").click()
    seller.wait_for_url(ticket_url)
    assert "Your ticket was updated." in seller.inner_text("main")
    assert seller.get_by_role("heading", name=new_title).is_visible() and "$35.75" in seller.inner_text("main")

    # A mistake is shown beside the field, with what was typed kept.
    seller.get_by_role("link", name="Edit").click()
    seller.get_by_label("Price").fill("12.345")
    seller.get_by_role("button", name="Save").click()
    assert "Price must have at most 2 decimal places" in seller.inner_text("#price-field")
    assert seller.get_by_label("Price").input_value() == "12.345"

    # The seller has the form open when a buyer reserves the ticket: saving is refused with a visible message.
    seller.goto(f"{ticket_url}/edit")
    buyer = new_page()
    sign_up(buyer, store.url, unique_email("buyer"))
    purchase(buyer, ticket_url)
    wait_until(lambda: ticket_status(store.url, ticket_url) == "reserved", timeout=20,
               message="the ticket to be reserved")
    seller.get_by_label("Title").fill("Sneaky new title")
    seller.get_by_role("button", name="Save").click()
    refusal = seller.get_by_role("alert")
    assert "Cannot edit a reserved ticket" in refusal.inner_text()
    assert refusal.is_visible()
    seller.goto(ticket_url)
    assert seller.get_by_role("heading", name=new_title).is_visible()
    assert "Reserved" in seller.inner_text(".facts")
    assert seller.get_by_role("link", name="Edit").count() == 0


def test_a_wrong_password_shows_an_error_and_sign_out_works(store, page):
    email = sign_up(page, store.url)
    page.get_by_role("button", name="Sign out").click()
    assert "Sign in" in header(page) and email not in header(page)

    sign_in(page, store.url, email, "not-the-password")
    error = page.get_by_role("alert")
    assert error.inner_text() == "Invalid credentials"
    assert page.get_by_label("Email").input_value() == email  # kept
    assert page.get_by_label("Password").input_value() == ""  # never echoed
    assert email not in header(page)

    sign_in(page, store.url, email, PASSWORD)
    page.wait_for_url(f"{store.url}/")
    assert email in header(page) and "My orders" in header(page)
    page.get_by_role("button", name="Sign out").click()
    assert email not in header(page)
    # Signed out means signed out: a private page sends the visitor to sign in.
    page.goto(f"{store.url}/orders")
    assert page.url.startswith(f"{store.url}/auth/signin?next=")
    assert requests.get(f"{store.url}/api/users/currentuser", timeout=5,
                        cookies={c["name"]: c["value"] for c in page.context.cookies()}).json() == {
        "currentUser": None}


def test_error_pages_share_the_layout(store, page):
    response = page.goto(f"{store.url}/tickets/{'0' * 24}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert page.get_by_role("link", name="Browse tickets").is_visible() and "Ticketing" in header(page)
    assert "Request id" in page.inner_text("main")
    # The API keeps the JSON error shape.
    api = requests.get(f"{store.url}/api/tickets/garbage", timeout=5)
    assert api.status_code == 404 and api.json()["errors"][0]["message"]
