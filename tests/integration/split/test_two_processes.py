"""Two services over NATS JetStream: auth+tickets+orders in one, payments in the other, each with its own database.

A purchase crosses between them only as events (orders.order_created → payments; payments.payment_succeeded →
orders; orders.order_completed → tickets, payments), and an order placed while payments is down is paid after it
comes back: JetStream kept the event for the payments consumer.
"""

import uuid

import pytest
import requests

from app.platform import localstripe
from app.platform.embedded import free_port
from tests.integration.split.conftest import jetstream
from tests.integration.split.services import started_services
from tests.servers import wait_until

pytestmark = pytest.mark.consumer

PASSWORD = "secret-pass"


@pytest.fixture
def stripe_server(out_dir):
    """Start a localstripe of this test's own."""
    server = localstripe.start(free_port(), log_path=out_dir / "split-localstripe.log")
    yield server
    server.stop()


@pytest.fixture
def split(base_env, nats_settings, stripe_server, tmp_path, out_dir, redis_url):
    """Start service A (auth, tickets, orders) and service B (payments), each with its own MongoDB and queue."""
    layout = (("a", "auth,tickets,orders"), ("b", "payments"))
    with started_services(layout, base_env, nats_settings, stripe_server, tmp_path, out_dir, redis_url) as services:
        # Stripe's webhook goes to the payments service (it records the payment once, whichever arrives first).
        localstripe.register_webhook(stripe_server.url, services["b"].url + "/api/payments/webhook",
                                     localstripe.DEMO_WEBHOOK_SECRET, name=f"split-{uuid.uuid4().hex[:6]}")
        yield services


def _signed_up(url):
    session = requests.Session()
    response = session.post(url + "/api/users/signup",
                            json={"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    return session


def _sell(session, url, title, price):
    response = session.post(url + "/api/tickets", json={"title": title, "price": price}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _when_known(call, accepted, message, timeout=30):
    """Repeat a request answered 404 until the other side's replica knows the thing (events are asynchronous)."""
    def attempt():
        response = call()
        if response.status_code == 404:
            return None
        assert response.status_code == accepted, (response.status_code, response.text)
        return response

    return wait_until(attempt, timeout=timeout, interval=0.2, message=message)


def _reserve(session, url, ticket_id):
    return _when_known(lambda: session.post(url + "/api/orders", json={"ticketId": ticket_id}, timeout=10), 201,
                       "orders' replica of the new ticket").json()


def _pay(session, url, order_id):
    return _when_known(lambda: session.post(url + "/api/payments", json={"orderId": order_id, "token": "pm_card_visa"},
                                            timeout=20), 201, "payments' replica of the new order").json()["payment"]


def _wait_for_status(session, url, expected, message):
    def check():
        response = session.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["status"] == expected and response.json()

    return wait_until(check, timeout=30, interval=0.2, message=message)


def _settled(service):
    status = service.outbox_status()
    return status["unrelayed_events"] == 0 and status["pending"] == 0 and status


def _consumer_pending(settings, name):
    info = jetstream(settings["NATS_URL"], lambda js: js.consumer_info(settings["NATS_STREAM"], name))
    return info.num_pending + info.num_ack_pending


def _assert_one_chain(a, b, order_id):
    """The purchase's events, in both services' outboxes, carry one correlation id, each caused by the one before."""
    from pymongo import MongoClient

    outboxes = [MongoClient(service.env["MONGODB_URI"]).get_default_database().platform_outbox for service in (a, b)]
    try:
        created = outboxes[0].find_one({"type": "orders.order_created.v1", "aggregate_id": order_id})
        paid = outboxes[1].find_one({"type": "payments.payment_succeeded.v1", "payload.order_id": order_id})
        completed = outboxes[0].find_one({"type": "orders.order_completed.v1", "aggregate_id": order_id})
    finally:
        for outbox in outboxes:
            outbox.database.client.close()
    chain = created["payload"]["correlation_id"]
    assert paid["payload"]["correlation_id"] == chain  # payments continued the chain it learnt over NATS
    assert completed["payload"]["correlation_id"] == chain and completed["payload"]["causation_id"] == paid["_id"]


def test_a_purchase_crosses_two_services_and_survives_the_payments_service_being_down(split, nats_settings):
    """Reserve on A, pay on B, see it complete on A; then order while B is down and pay once it is back."""
    a, b = split["a"], split["b"]
    seller = _signed_up(a.url)
    buyer = _signed_up(a.url)
    assert buyer.get(b.url + "/api/users/currentuser", timeout=5).status_code == 404  # B does not serve auth...

    ticket = _sell(seller, a.url, "Concert", 20.5)
    order = _reserve(buyer, a.url, ticket["id"])
    payment = _pay(buyer, b.url, order["id"])  # ...yet B knows the buyer from the session A signed

    assert payment["status"] == "succeeded"
    assert (payment["orderId"], payment["amount"], payment["currency"]) == (order["id"], 2050, "USD")
    assert _wait_for_status(buyer, f"{a.url}/api/orders/{order['id']}", "complete", "the order to complete")
    sold = _wait_for_status(seller, f"{a.url}/api/tickets/{ticket['id']}", "sold", "the ticket to be sold")
    assert sold["orderId"] == order["id"]
    _assert_one_chain(a, b, order["id"])

    # Payments goes away; the marketplace keeps taking orders, and their events wait in JetStream.
    b.stop()
    second_ticket = _sell(seller, a.url, "Theatre", 12)
    second_order = _reserve(buyer, a.url, second_ticket["id"])
    wait_until(lambda: _settled(a), timeout=20, interval=0.3, message="A relayed its events to NATS")
    assert _consumer_pending(nats_settings, "payments") >= 1
    with pytest.raises(requests.ConnectionError):
        buyer.post(b.url + "/api/payments", json={"orderId": second_order["id"], "token": "pm_card_visa"}, timeout=5)

    b.start()
    second_payment = _pay(buyer, b.url, second_order["id"])

    assert second_payment["status"] == "succeeded"
    assert _wait_for_status(buyer, f"{a.url}/api/orders/{second_order['id']}", "complete", "the second order")
    assert _wait_for_status(seller, f"{a.url}/api/tickets/{second_ticket['id']}", "sold", "the second ticket")
    for service in (a, b):
        status = wait_until(lambda s=service: _settled(s), timeout=20, interval=0.3, message=f"{service.name} idle")
        assert status["dead"] == 0, (service.name, status["dead_deliveries"], service.logs())
    wait_until(lambda: _consumer_pending(nats_settings, "payments") == 0, timeout=20, message="payments caught up")
    # Both services' events went through the one stream: 2 sign-ups, and per sale a ticket created, reserved and
    # sold, an order created and completed, a payment succeeded.
    info = jetstream(nats_settings["NATS_URL"], lambda js: js.stream_info(nats_settings["NATS_STREAM"]))
    assert info.state.messages >= 2 + 2 * 6



def test_the_payments_services_page_shows_the_event_and_its_organisers_changes(split):
    """Payments, in a service of its own, says which show is being paid for: from the order's event and its own
    replica of the tickets' events, never from the other service's database."""
    a, b = split["a"], split["b"]
    organiser, buyer = _signed_up(a.url), _signed_up(a.url)
    event = organiser.post(a.url + "/api/events", json={"name": "Radiohead", "venue": "Madison Square Garden",
                                                        "city": "New York", "startsAt": "2030-05-01T20:00:00-04:00"},
                           timeout=10).json()
    ticket = organiser.post(a.url + "/api/tickets", json={"title": "Floor", "price": 80, "eventId": event["id"]},
                            timeout=10).json()
    order = _reserve(buyer, a.url, ticket["id"])
    page_url = f"{b.url}/payments/orders/{order['id']}"
    page = _when_known(lambda: buyer.get(page_url, headers={"Accept": "text/html"}, timeout=10), 200,
                       "payments' replica of the new order").text
    assert "Radiohead" in page and "Wednesday 1 May 2030, 8:00 pm" in page
    assert "Madison Square Garden, New York" in page and f'href="/events/{event["id"]}"' in page

    moved = organiser.put(f"{a.url}/api/events/{event['id']}", json={
        "name": "Radiohead", "venue": "Barclays Center", "city": "Brooklyn", "startsAt": "2030-05-03T21:00:00-04:00"},
        timeout=10)
    assert moved.status_code == 200, moved.text
    page = wait_until(lambda: (text := buyer.get(page_url, timeout=10).text) and "Barclays Center" in text and text,
                      timeout=30, interval=0.3, message="payments' replica of the moved event")
    assert "Friday 3 May 2030, 9:00 pm" in page and "Barclays Center, Brooklyn" in page
    assert "Madison Square Garden" not in page
