"""Each of the six emails, after the flow that causes it, through the real event path, a real Huey worker and a real
SMTP server: to the right person, with the right facts, and links that work."""

import pytest

from tests.integration.notifications.support import follows, pay, reserve, sell, signed_up
from tests.servers import wait_until

pytestmark = pytest.mark.consumer


def _one(mail_server, to, subject):
    [message] = mail_server.wait_for(to=to, subject=subject)
    return message


def _signed_in_or_sent_to_sign_in(status_and_location):
    status, location = status_and_location
    return status == 200 or (status == 302 and location.startswith("/auth/signin"))


def test_a_new_account_is_welcomed(app, mail_server, worker):
    client, email, _user_id = signed_up(app)

    message = _one(mail_server, email, "Welcome to Ticketing")

    assert message.to == email
    assert "Ticketing" in message.sender
    assert email in message.text and email in message.html
    home, sell_link = message.links()[:2]
    assert follows(client, home) == (200, None)
    assert follows(client, sell_link) == (200, None)  # the form to sell, for the account just made
    assert _signed_in_or_sent_to_sign_in(follows(app.test_client(), sell_link))
    assert message.html.lstrip().lower().startswith("<!doctype html>") and sell_link in message.html


def test_a_buyer_is_told_the_ticket_is_held_and_by_when_to_pay(app, mail_server, worker):
    seller, _seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    ticket = sell(seller, "Radiohead, floor", "20.50")

    order = reserve(buyer, ticket["id"])

    message = _one(mail_server, buyer_email, "Reserved for you")
    expires = order["expiresAt"]  # 2026-05-01T14:32:05.123Z
    pay_by = f"{expires[11:16]} UTC"
    assert "Radiohead, floor" in message.subject and pay_by in message.subject
    for part in (message.text, message.html):
        assert "Radiohead, floor" in part and "$20.50" in part and pay_by in part
    assert "Pay within 15 minutes" in message.text
    [order_link] = [link for link in message.links() if "/orders/" in link]
    assert order_link.endswith(f"/orders/{order['id']}")
    assert follows(buyer, order_link) == (200, None)
    assert _signed_in_or_sent_to_sign_in(follows(app.test_client(), order_link))
    assert [m.name for m in mail_server.messages(subject="Reserved")] == [message.name]  # none to the seller


def test_a_paid_order_tells_the_buyer_it_was_received_and_the_seller_it_sold(app, mail_server, worker):
    seller, seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    ticket = sell(seller, "Jazz at the Blue Note", "45.50")
    order = reserve(buyer, ticket["id"])

    payment = pay(buyer, order["id"])

    assert payment["status"] == "succeeded"
    received = _one(mail_server, buyer_email, "Payment received")
    assert "Jazz at the Blue Note" in received.subject
    assert "$45.50" in received.text and "$45.50" in received.html
    [order_link] = [link for link in received.links() if "/orders/" in link]
    assert order_link.endswith(f"/orders/{order['id']}") and follows(buyer, order_link) == (200, None)

    sold = _one(mail_server, seller_email, "Your ticket sold")
    assert sold.to == seller_email and "Jazz at the Blue Note" in sold.subject
    assert "$45.50" in sold.text and "$45.50" in sold.html
    assert buyer_email not in sold.raw.decode(errors="replace")  # the seller never learns who bought it
    ticket_link = sold.links()[0]
    assert ticket_link.endswith(f"/tickets/{ticket['id']}") and follows(seller, ticket_link) == (200, None)


def test_a_cancelled_reservation_says_so_and_links_the_ticket_for_sale_again(app, mail_server, worker):
    seller, _seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    ticket = sell(seller, "Hamilton, mezzanine", "229.99")
    order = reserve(buyer, ticket["id"])
    mail_server.wait_for(to=buyer_email, subject="Reserved for you")

    assert buyer.delete(f"/api/orders/{order['id']}").status_code == 204

    message = _one(mail_server, buyer_email, "Your reservation was cancelled")
    assert "Hamilton, mezzanine" in message.subject and "$229.99" in message.text
    assert "cancelled by you" in message.text and "for sale again" in message.text
    ticket_link = [link for link in message.links() if "/tickets/" in link][0]
    assert ticket_link.endswith(f"/tickets/{ticket['id']}")
    other, _other_email, _ = signed_up(app)
    assert follows(other, ticket_link) == (200, None)
    # The link is true: the ticket can be reserved again by someone else.
    wait_until(lambda: other.get(f"/api/tickets/{ticket['id']}").get_json()["status"] == "available", timeout=15,
               message="the ticket to be for sale again")
    assert reserve(other, ticket["id"])["status"] == "created"


def test_an_expired_reservation_says_it_was_not_paid_in_time(app, mail_server, mail_env, worker_factory):
    app.config["ORDER_EXPIRATION_SECONDS"] = 2
    worker_factory(**mail_env, ORDER_EXPIRATION_SECONDS=2)
    seller, _seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    ticket = sell(seller, "Comedy Cellar, 9:30 pm", "25")

    order = reserve(buyer, ticket["id"])

    message = _one(mail_server, buyer_email, "Your reservation expired")
    assert "Comedy Cellar, 9:30 pm" in message.subject
    assert f"not paid by {order['expiresAt'][11:16]} UTC" in message.text and "not paid in time" in message.html
    assert "Pay within 2 seconds" in _one(mail_server, buyer_email, "Reserved for you").text
    ticket_link = [link for link in message.links() if "/tickets/" in link][0]
    assert follows(buyer, ticket_link) == (200, None)


def test_money_that_came_too_late_is_refunded_and_the_buyer_told_why_and_when(app, mail_server, mail_env,
                                                                             worker_factory, notifications_stripe):
    import stripe

    from tests.integration.payments.support import authenticate_3ds, csrf_headers

    app.config["ORDER_EXPIRATION_SECONDS"] = 3
    worker_factory(**mail_env, ORDER_EXPIRATION_SECONDS=3)
    seller, _seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    ticket = sell(seller, "Glastonbury weekend", "335")
    order = reserve(buyer, ticket["id"])
    inspector = stripe.StripeClient("sk_test_inspector", base_addresses={"api": notifications_stripe.url},
                                    max_network_retries=0)
    token = inspector.v1.tokens.create(params={"card": {"number": "4000002500003155", "exp_month": 12,
                                                        "exp_year": 2030, "cvc": "123"}}).id
    payment = pay(buyer, order["id"], token)  # 3-D Secure: pending until the buyer authenticates
    assert payment["status"] == "pending"
    mail_server.wait_for(to=buyer_email, subject="Your reservation expired")

    # The buyer finishes 3-D Secure after the reservation ended; the page then asks payments to look again.
    authenticate_3ds(notifications_stripe, payment["stripeId"], payment["clientSecret"])
    synced = buyer.post(f"/payments/attempts/{payment['id']}/sync", headers=csrf_headers(app, buyer))
    assert synced.status_code == 200, synced.get_json()

    message = _one(mail_server, buyer_email, "refund")
    assert message.subject == "Your refund of $335.00 is on its way"
    for part in (message.text, message.html):
        assert "$335.00" in part and "Glastonbury weekend" in part and "late payment" in part
        assert "5 to 10 business days" in part
    order_link = [link for link in message.links() if "/orders/" in link][0]
    assert order_link.endswith(f"/orders/{order['id']}") and follows(buyer, order_link) == (200, None)
    assert mail_server.messages(subject="Payment received") == []


def test_emails_about_a_ticket_for_a_dated_event_name_the_event_its_venue_and_its_local_time(app, mail_server,
                                                                                           worker):
    seller, seller_email, _ = signed_up(app)
    buyer, buyer_email, _ = signed_up(app)
    show = seller.post("/api/events", json={"name": "Nils Frahm live", "venue": "Funkhaus", "city": "Berlin",
                                             "startsAt": "2031-03-14T20:30:00+01:00"})
    assert show.status_code == 201, show.get_json()
    listed = seller.post("/api/tickets", json={"title": "Standing", "price": "39", "eventId": show.get_json()["id"]})
    assert listed.status_code == 201, listed.get_json()
    order = reserve(buyer, listed.get_json()["id"])
    held = _one(mail_server, buyer_email, "Reserved for you")
    pay(buyer, order["id"])
    received = _one(mail_server, buyer_email, "Payment received")
    sold = _one(mail_server, seller_email, "Your ticket sold")
    for message in (held, received, sold):
        for part in (message.text, message.html):
            # The venue's clock, as the organiser gave it: 20:30 in Berlin, not 19:30 UTC.
            assert "Nils Frahm live" in part and "Funkhaus, Berlin" in part and "Fri 14 Mar 2031, 20:30" in part
