"""Notifications as a service of its own (CONTEXTS=notifications, NATS): it hears the store's events over JetStream,
keeps its own records in its own database, and sends the emails; the store's code does not change."""

import json
import uuid

import pytest
import redis
import requests

from app.platform import localstripe
from app.platform.embedded import free_port
from tests.conftest import env_for
from tests.integration.split.services import Service, unique_huey_name
from tests.servers import start_mongo, wait_until

pytestmark = pytest.mark.consumer

PASSWORD = "secret-pass"



@pytest.fixture
def services(base_env, nats_settings, tmp_path, out_dir, redis_url, mail_server):
    """Start the store (auth, tickets, orders, payments) and notifications alone, each with its own MongoDB."""
    stripe_server = localstripe.start(free_port(), log_path=out_dir / "split-notifications-localstripe.log")
    mongos, started = [], {}
    try:
        for name, contexts in (("store", "auth,tickets,orders,payments"), ("notifications", "notifications")):
            folder = tmp_path / name
            folder.mkdir()
            mongo, uri = start_mongo(folder, out_dir / f"split-{name}")
            mongos.append(mongo)
            extra = {}
            if name == "notifications":
                extra = {**mail_server.env, "PUBLIC_URL": started["store"].url}
            env = env_for(base_env, **nats_settings, **extra, MONGODB_URI=uri, CONTEXTS=contexts,
                          EVENT_TRANSPORT="nats", HUEY_NAME=unique_huey_name(name), INSTANCE_PATH=folder / "instance",
                          STRIPE_API_BASE=stripe_server.url, LOCALSTRIPE_PORT=stripe_server.port,
                          NATS_ACK_WAIT_SECONDS=10, LOG_LEVEL="INFO")
            started[name] = Service(f"split-{name}", env, out_dir)
            started[name].migrate()
        for service in started.values():
            service.start()
        yield started
    finally:
        for service in started.values():
            service.stop()
        for mongo in mongos:
            mongo.stop()
        stripe_server.stop()
        client = redis.Redis.from_url(redis_url)
        for service in started.values():
            for key in client.scan_iter(f"*{service.env['HUEY_NAME']}*"):
                client.delete(key)


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
