"""When payments runs as its own service, its own page takes the card and the order page links to it; the page shows
the event being paid for, from payments' own replicas."""

import re

import pytest
from bson import ObjectId

from app import create_app
from app.orders import services as orders
from app.orders.events import OrderCreated
from app.payments import handlers
from app.payments import services as payments
from app.platform.errors import EventNotReadyError
from app.platform.uow import run_in_transaction
from app.tickets import shows
from tests.integration.payments.support import given_order
from tests.integration.tickets.support import list_for_event, user_client
from tests.servers import drain, sign_in


def test_payments_own_page_shows_the_card_field_to_the_owner_only(stripe_app, client):
    buyer = sign_in(client)
    order_id = given_order(stripe_app, buyer, price=2550)
    page = client.get(f"/payments/orders/{order_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Pay $25.50" in text and 'id="card-element"' in text
    stranger = stripe_app.test_client()
    sign_in(stranger)
    assert stranger.get(f"/payments/orders/{order_id}", headers={"Accept": "text/html"}).status_code == 401
    assert client.get("/payments/orders/not-an-id", headers={"Accept": "text/html"}).status_code == 404


def test_an_orders_service_without_payments_links_to_the_payments_page(base_env, stripe_env):
    orders_only = create_app(dict(base_env) | stripe_env | {"CONTEXTS": "auth,tickets,orders"})
    client = orders_only.test_client()
    seller, buyer = "5f0000000000000000000001", sign_in(client)
    with orders_only.app_context():
        orders.record_ticket("5f00000000000000000000aa", 0, "Split show", 1200, "USD", seller, "available", None)
        order = orders.place_order(buyer, "5f00000000000000000000aa")
    text = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'href="/payments/orders/{order.id}"' in text
    assert "Pay for this order" in text
    assert 'id="card-element"' not in text


def _text(response):
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_payments_page_shows_the_event_and_follows_its_organisers_changes(stripe_app):
    organiser = str(ObjectId())
    with stripe_app.app_context():
        event_id = str(shows.create_event(organiser, "Radiohead", "Madison Square Garden", "New York",
                                          "2030-05-01T20:00:00-04:00").id)
    ticket_id = list_for_event(stripe_app, event_id, title="Floor")
    drain(stripe_app)
    buyer, _ = user_client(stripe_app)
    order_id = buyer.post("/api/orders", json={"ticketId": ticket_id}).get_json()["id"]
    drain(stripe_app)  # OrderCreated reaches payments' replica of orders

    text = _text(buyer.get(f"/payments/orders/{order_id}"))
    assert "Radiohead" in text and "Wednesday 1 May 2030, 8:00 pm" in text
    assert "Madison Square Garden, New York" in text and "Pay $20.00" in text
    assert f'href="/events/{event_id}"' in buyer.get(f"/payments/orders/{order_id}").get_data(as_text=True)

    with stripe_app.app_context():
        shows.update_event(event_id, organiser, "Radiohead", "Barclays Center", "Brooklyn", "2030-05-03T21:00:00-04:00")
    drain(stripe_app)  # EventUpdated reaches payments' replica of events

    text = _text(buyer.get(f"/payments/orders/{order_id}"))
    assert "Friday 3 May 2030, 9:00 pm" in text and "Barclays Center, Brooklyn" in text
    assert "Madison Square Garden" not in text


def test_payments_page_shows_what_the_order_told_of_its_event_until_the_events_own_news_arrives(stripe_app, client):
    buyer = sign_in(client)
    event_id, order_id = str(ObjectId()), str(ObjectId())
    event = OrderCreated(aggregate_id=order_id, version=0, user_id=buyer, status="created",
                         expires_at="2029-01-01T00:00:00.000Z", ticket_id=str(ObjectId()), price=1500,
                         currency="USD", title="Floor", event_id=event_id, event_name="Hamilton",
                         event_venue="Victoria Palace", event_city="London",
                         event_starts_at="2030-04-20T18:30:00.000Z", event_utc_offset=60)
    with stripe_app.app_context():
        run_in_transaction(handlers.on_order_created, event)
    text = _text(client.get(f"/payments/orders/{order_id}"))
    assert "Hamilton" in text and "Saturday 20 April 2030, 7:30 pm" in text and "Victoria Palace, London" in text


def test_payments_replica_of_events_applies_their_versions_in_order(app, db):
    event_id = str(ObjectId())

    def record(version, venue):
        with app.app_context():
            return payments.record_event(event_id, version, name="Radiohead", venue=venue, city="New York",
                                         starts_at="2030-05-02T00:00:00.000Z", utc_offset=-240)

    with pytest.raises(EventNotReadyError):
        record(1, "Barclays Center")  # version 1 before 0: retried later, never applied early
    assert db.payments_events.count_documents({}) == 0
    assert record(0, "Madison Square Garden") is True
    assert record(0, "Madison Square Garden") is False  # a redelivery changes nothing
    assert record(1, "Barclays Center") is True
    assert db.payments_events.find_one({"_id": event_id})["venue"] == "Barclays Center"
