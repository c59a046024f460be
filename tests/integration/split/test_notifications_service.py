"""Notifications as a service of its own (CONTEXTS=notifications, NATS): it hears the store's events over JetStream,
keeps its own records in its own database, and sends the emails; the store's code does not change."""

import json
import uuid

import pytest
import requests

from app.platform import localstripe
from app.platform.embedded import free_port
from tests.integration.split.services import started_services
from tests.servers import wait_until

pytestmark = pytest.mark.consumer

PASSWORD = "secret-pass"



@pytest.fixture
def services(base_env, nats_settings, tmp_path, out_dir, redis_url, mail_server):
    """Start the store (auth, tickets, orders, payments) and notifications alone, each with its own MongoDB."""
    stripe_server = localstripe.start(free_port(), log_path=out_dir / "split-notifications-localstripe.log")

    def extra_env(name, started):
        return {**mail_server.env, "PUBLIC_URL": started["store"].url} if name == "notifications" else {}

    layout = (("store", "auth,tickets,orders,payments"), ("notifications", "notifications"))
    try:
        with started_services(layout, base_env, nats_settings, stripe_server, tmp_path, out_dir, redis_url,
                              extra_env) as started:
            yield started
    finally:
        stripe_server.stop()


def _signed_up(url):
    session = requests.Session()
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    response = session.post(url + "/api/users/signup", json={"email": email, "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    return session, email


def _until_created(call, message):
    def attempt():
        response = call()
        if response.status_code == 404:
            return None
        assert response.status_code == 201, response.text
        return response.json()

    return wait_until(attempt, timeout=30, interval=0.2, message=message)


def test_a_notifications_only_service_sends_the_emails_of_a_purchase(services, mail_server):
    store, notifications = services["store"], services["notifications"]
    assert requests.get(notifications.url + "/api/tickets", timeout=5).status_code == 404  # it serves no store page
    seller, seller_email = _signed_up(store.url)
    buyer, buyer_email = _signed_up(store.url)
    ticket = seller.post(store.url + "/api/tickets", json={"title": "Mahler 5", "price": "98"}, timeout=10).json()
    order = _until_created(lambda: buyer.post(store.url + "/api/orders", json={"ticketId": ticket["id"]}, timeout=10),
                           "orders' replica of the ticket")
    payment = _until_created(lambda: buyer.post(store.url + "/api/payments", json={
        "orderId": order["id"], "token": "pm_card_visa"}, timeout=20), "payments' replica of the order")["payment"]
    assert payment["status"] == "succeeded"

    for to, subject in ((seller_email, "Welcome"), (buyer_email, "Welcome"), (buyer_email, "Reserved for you"),
                        (buyer_email, "Payment received"), (seller_email, "Your ticket sold")):
        mail_server.wait_for(to=to, subject=subject, timeout=40)
    [received] = mail_server.messages(to=buyer_email, subject="Payment received")
    assert "Mahler 5" in received.subject and "$98.00" in received.text
    [order_link] = [link for link in received.links() if "/orders/" in link]
    assert order_link == f"{store.url}/orders/{order['id']}"
    assert buyer.get(order_link, timeout=10).status_code == 200  # PUBLIC_URL points at the store, not at itself

    status = json.loads(notifications.flask("mail", "status", "--json"))
    assert (status["sent"], status["pending"], status["dead"]) == (5, 0, 0), notifications.logs()
    outbox = notifications.outbox_status()
    assert outbox["dead"] == 0 and outbox["unrelayed_events"] == 0  # it listens, and publishes nothing
    mail_server.settle()
    assert len(mail_server.messages()) == 5
