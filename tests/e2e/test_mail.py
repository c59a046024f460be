"""The demo mailbox as a newcomer finds it: after buying a ticket in the store that `make run` starts (its own local
SMTP server, nothing configured), the footer leads to /dev/mail: the buyer's emails, rendered, with working links."""

import re

import pytest

from tests.e2e.support import pay_with_card, purchase, sell_ticket, sign_up, unique_email, unique_title, wait_for_text

pytestmark = pytest.mark.e2e


def test_after_a_purchase_the_demo_mailbox_shows_the_buyers_emails(store, new_page):
    seller = new_page()
    seller_email = sign_up(seller, store.url, unique_email("seller"))
    title = unique_title("Blue Note late set")
    ticket_url = sell_ticket(seller, store.url, title, "45.50")
    buyer = new_page()
    buyer_email = sign_up(buyer, store.url, unique_email("buyer"))
    order_url = purchase(buyer, ticket_url)
    pay_with_card(buyer)
    wait_for_text(buyer, "Paid", timeout=30, where="#payment-status")

    buyer.get_by_role("link", name="Demo mailbox").click()
    buyer.wait_for_url(f"{store.url}/dev/mail")
    assert buyer.get_by_role("heading", name="Demo mailbox").is_visible()
    # The emails travel as events, then through a task and the SMTP server: the list fills within seconds.
    wait_for_text(buyer, f"Payment received: {title}", timeout=30, reload=True, where="main")
    rows = buyer.locator("tr", has_text=buyer_email)
    subjects = rows.all_inner_texts()
    assert any("Welcome to Ticketing" in row for row in subjects)
    assert any(f"Reserved for you: {title}" in row for row in subjects)
    wait_for_text(buyer, f"Your ticket sold: {title}", timeout=30, reload=True, where="main")
    assert seller_email in buyer.locator("tr", has_text="Your ticket sold").first.inner_text()

    buyer.get_by_role("link", name=f"Payment received: {title}").click()
    assert buyer.get_by_role("heading", name=f"Payment received: {title}").is_visible()
    assert "$45.50" in buyer.locator(".mail-text").inner_text()
    frame = buyer.frame_locator("iframe.mail-frame")
    assert frame.get_by_text("Payment received — the ticket is yours").is_visible()
    frame.get_by_role("link", name="See your order").click()  # the email's link opens the store, not the frame
    buyer.wait_for_url(re.compile(re.escape(order_url) + "$"))
    wait_for_text(buyer, "Paid", timeout=20, reload=True, where=".facts")
