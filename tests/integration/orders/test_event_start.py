"""Orders and the start of a ticket's event: the replica of event start times (from the tickets' events, in version
order), no reservation once the event has started, and no payment for an event that has started."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.orders import services
from app.orders.errors import EventStartedError
from app.platform.errors import EventNotReadyError
from tests.integration.orders import flow
from tests.integration.tickets.support import list_for_event, schedule, user_client, wait_until_started
from tests.servers import drain, sign_in


def _iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(app, event_id, version, starts_at, name="Radiohead"):
    with app.app_context():
        return services.record_event(event_id, version, name=name, venue="MSG", city="New York",
                                     starts_at=_iso(starts_at), utc_offset=-240)


def _place(app, ticket_id, buyer=None):
    with app.app_context():
        return services.place_order(buyer or str(ObjectId()), ticket_id)


def test_the_replica_applies_an_events_versions_in_order(app, db):
    event_id, start = str(ObjectId()), datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    with pytest.raises(EventNotReadyError):
        _record(app, event_id, 1, start + timedelta(hours=1))  # version 1 before 0: retried later, never applied
    assert db.orders_events.count_documents({}) == 0
    assert _record(app, event_id, 0, start) is True
    assert _record(app, event_id, 0, start) is False  # a redelivery changes nothing
    assert _record(app, event_id, 1, start + timedelta(hours=1), name="Radiohead (late show)") is True
    replica = db.orders_events.find_one({"_id": event_id})
    assert (replica["version"], replica["name"], replica["starts_at"]) == (
        1, "Radiohead (late show)", start + timedelta(hours=1))


@pytest.mark.consumer
def test_event_start_times_reach_orders_through_the_worker(app, db, worker):
    organizer, _ = user_client(app)
    created = organizer.post("/api/events", json={"name": "Radiohead", "venue": "MSG", "city": "New York",
                                                  "startsAt": "2030-05-01T20:00:00-04:00"}).get_json()
    ticket_id = organizer.post("/api/tickets", json={"title": "Floor", "price": 80,
                                                     "eventId": created["id"]}).get_json()["id"]
    replica = flow.eventually(lambda: db.orders_events.find_one({"_id": created["id"]}),
                              lambda: flow.pending_work(db))
    assert (replica["starts_at"], replica["version"]) == (datetime(2030, 5, 2, tzinfo=UTC), 0)
    ticket = flow.wait_for_replica(db, ticket_id, "available", 0)
    assert (ticket["event_id"], ticket["starts_at"]) == (created["id"], datetime(2030, 5, 2, tzinfo=UTC))

    organizer.put(f"/api/events/{created['id']}", json={"name": "Radiohead", "venue": "MSG", "city": "New York",
                                                        "startsAt": "2030-05-03T20:00:00-04:00"})
    moved = flow.eventually(lambda: (r := db.orders_events.find_one({"_id": created["id"]}))["version"] == 1 and r,
                            lambda: flow.pending_work(db))
    assert moved["starts_at"] == datetime(2030, 5, 4, tzinfo=UTC)


def test_a_ticket_whose_event_starts_during_the_test_refuses_reservations(app, client, db):
    event_id = schedule(app, seconds=6)
    early, late = list_for_event(app, event_id, title="Early"), list_for_event(app, event_id, title="Late")
    drain(app)  # the tickets' and the event's news reach orders' replicas
    sign_in(client)
    before = client.post("/api/orders", json={"ticketId": early})
    assert before.status_code == 201
    starts_at = client.get(f"/api/events/{event_id}").get_json()["startsAt"]
    assert before.get_json()["expiresAt"] == starts_at  # the reservation never outlives the event's start

    wait_until_started(client, event_id)

    after = client.post("/api/orders", json={"ticketId": late})
    assert after.status_code == 400
    assert after.get_json() == {"errors": [{"message": "The event has already started", "field": "ticketId"}]}
    assert db.orders_orders.count_documents({"ticket_id": late}) == 0
    # The early order's timer, due at the start, ends it: payments refuses an attempt from then on anyway.
    with app.app_context():
        assert services.expire_order(before.get_json()["id"]) is True
    assert db.orders_orders.find_one({"ticket_id": early})["cancel_reason"] == "expired"


def test_the_tickets_own_news_of_the_start_serves_until_the_events_arrives(app, db):
    ticket_id, past = str(ObjectId()), datetime.now(UTC) - timedelta(minutes=1)
    with app.app_context():
        services.record_ticket(ticket_id, 0, "Floor", 1000, "USD", str(ObjectId()), "available", None,
                               event_id=str(ObjectId()), starts_at=_iso(past))
        with pytest.raises(EventStartedError):
            services.place_order(str(ObjectId()), ticket_id)
    assert db.orders_orders.count_documents({}) == 0


def test_an_order_for_a_ticket_without_an_event_expires_as_before(app, db):
    with app.app_context():
        from tests.integration.tickets.support import list_ticket

        ticket_id = list_ticket(app, str(ObjectId()))
    order = _place(app, ticket_id)
    assert order.event_id is None
    window = timedelta(seconds=app.config["ORDER_EXPIRATION_SECONDS"])
    assert abs((order.expires_at - (order.created_at + window)).total_seconds()) < 0.01


def test_money_that_arrives_once_the_event_started_is_rejected_and_refunded(app, client, db):
    event_id = schedule(app, seconds=6)
    paid_in_time, paid_late = list_for_event(app, event_id), list_for_event(app, event_id)
    drain(app)
    on_time, late = _place(app, paid_in_time), _place(app, paid_late)
    drain(app)  # tickets accepts both reservations (an order completes only once it has)
    with app.app_context():
        # Payments recorded this one before the start; its news may reach orders after it.
        assert services.complete_order(str(on_time.id), "pay_1", paid_at=_iso(datetime.now(UTC))) is True
    wait_until_started(client, event_id)
    with app.app_context():
        assert services.complete_order(str(late.id), "pay_2", paid_at=_iso(datetime.now(UTC))) is False
    assert db.orders_orders.find_one({"_id": on_time.id})["status"] == "complete"
    assert db.orders_orders.find_one({"_id": late.id})["status"] == "created"
    rejected = db.platform_outbox.find_one({"type": "orders.order_payment_rejected.v1"})
    assert (rejected["aggregate_id"], rejected["payload"]["payment_id"], rejected["payload"]["reason"]) == (
        str(late.id), "pay_2", "event started")


def test_an_event_moved_earlier_ends_its_unpaid_orders_at_the_new_start(app, db):
    event_id = str(ObjectId())
    _record(app, event_id, 0, datetime.now(UTC) + timedelta(days=2))
    ticket_id = str(ObjectId())
    with app.app_context():
        services.record_ticket(ticket_id, 0, "Floor", 1000, "USD", str(ObjectId()), "available", None,
                               event_id=event_id)
    order_id = str(_place(app, ticket_id).id)
    app.extensions["huey"].storage.flush_queue()
    new_start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    _record(app, event_id, 1, new_start)
    timers = [t for t in app.extensions["huey"].pending() if t.name == "expire_order_task"]
    assert [(t.args, t.eta) for t in timers] == [((order_id,), new_start.replace(tzinfo=None))]
    with app.app_context():
        assert services.expire_order(order_id) is False  # not yet
    time.sleep(max(0.0, (new_start - datetime.now(UTC)).total_seconds()) + 0.05)
    with app.app_context():
        assert services.expire_order(order_id) is True
    assert db.orders_orders.find_one({"_id": ObjectId(order_id)})["status"] == "cancelled"


def test_the_order_pages_show_the_events_date_and_venue(app, db):
    event_id = schedule(app, name="Radiohead", venue="Madison Square Garden", city="New York", days=3)
    ticket_id = list_for_event(app, event_id, title="Floor")
    drain(app)
    buyer, buyer_id = user_client(app)
    order_id = buyer.post("/api/orders", json={"ticketId": ticket_id}).get_json()["id"]
    page = buyer.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Radiohead" in page and "Madison Square Garden, New York" in page
    assert f'href="/events/{event_id}"' in page and 'class="event-time"' in page
    listing = buyer.get("/orders").get_data(as_text=True)
    assert "Radiohead" in listing and "Madison Square Garden" in listing
