"""Expiry end to end through a real Huey consumer: the timer, the sweep that replaces a lost timer, stale timers."""

import time
from datetime import datetime

import pytest

from app.orders import services
from tests.integration.orders import flow
from tests.integration.tickets.support import user_client
from tests.servers import wait_until

pytestmark = pytest.mark.consumer


def _expires_at(body):
    return datetime.fromisoformat(body["expiresAt"]).timestamp()


def _listed(app, db, title="Match", price=25):
    seller, _ = user_client(app)
    ticket_id = seller.post("/api/tickets", json={"title": title, "price": price}).get_json()["id"]
    flow.wait_for_replica(db, ticket_id, "available", 0)
    return ticket_id


def test_an_unpaid_order_expires_and_the_ticket_is_for_sale_again(app, db, worker_factory):
    # The sweep is switched off here, so only the Huey timer can expire the order.
    worker_factory(ORDER_EXPIRATION_SECONDS=2, SWEEP_INTERVAL_SECONDS=3600)
    app.config["ORDER_EXPIRATION_SECONDS"] = 2
    ticket_id = _listed(app, db)
    buyer, _ = user_client(app)
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id})
    assert placed.status_code == 201
    order = placed.get_json()
    flow.wait_for_ticket(buyer, ticket_id, "reserved", 1)
    assert flow.order(buyer, order["id"])["status"] == "created"

    flow.wait_for_order(buyer, order["id"], "cancelled")
    assert time.time() >= _expires_at(order)
    expired = flow.order(buyer, order["id"])
    assert expired["version"] == 1
    assert db.orders_orders.find_one({"ticket_id": ticket_id})["cancel_reason"] == "expired"
    assert flow.wait_for_ticket(buyer, ticket_id, "available", 2)["orderId"] is None
    flow.wait_for_replica(db, ticket_id, "available", 2)

    someone_else, _ = user_client(app)
    app.config["ORDER_EXPIRATION_SECONDS"] = 900  # this one must stay reserved while we compare the contexts
    again = someone_else.post("/api/orders", json={"ticketId": ticket_id})
    assert again.status_code == 201
    assert flow.wait_for_ticket(buyer, ticket_id, "reserved", 3)["orderId"] == again.get_json()["id"]
    flow.wait_for_replica(db, ticket_id, "reserved", 3)
    flow.assert_contexts_agree(db, ticket_id)


def test_the_sweep_expires_an_order_whose_timer_was_lost(app, db, worker_factory):
    worker_factory(ORDER_EXPIRATION_SECONDS=2)
    app.config["ORDER_EXPIRATION_SECONDS"] = 2
    huey = app.extensions["huey"]
    ticket_id = _listed(app, db)
    buyer, _ = user_client(app)
    order = buyer.post("/api/orders", json={"ticketId": ticket_id}).get_json()
    # The consumer moves the timer into Huey's schedule; then Redis loses it (it keeps nothing on disk).
    wait_until(lambda: huey.scheduled_count() >= 1, 5, message="the timer in Huey's schedule")
    huey.storage.flush_schedule()
    assert not [t for t in huey.scheduled() if t.name == "expire_order_task"]

    flow.wait_for_order(buyer, order["id"], "cancelled")
    assert time.time() >= _expires_at(order)
    assert db.orders_orders.find_one({"ticket_id": ticket_id})["cancel_reason"] == "expired"
    flow.wait_for_ticket(buyer, ticket_id, "available", 2)
    flow.wait_for_replica(db, ticket_id, "available", 2)
    flow.assert_contexts_agree(db, ticket_id)


def test_a_stale_timer_leaves_a_newer_reservation_alone(app, db, worker):
    ticket_id = _listed(app, db)
    first, _ = user_client(app)
    second, _ = user_client(app)
    app.config["ORDER_EXPIRATION_SECONDS"] = 1
    old = first.post("/api/orders", json={"ticketId": ticket_id}).get_json()
    assert first.delete(f"/api/orders/{old['id']}").status_code == 204
    app.config["ORDER_EXPIRATION_SECONDS"] = 900
    new = second.post("/api/orders", json={"ticketId": ticket_id})
    assert new.status_code == 201
    new_id = new.get_json()["id"]
    # Which version holds it depends on whether the old order's creation or its cancellation reached tickets first.
    flow.eventually(lambda: flow.ticket(second, ticket_id).get("orderId") == new_id,
                    lambda: f"ticket held by {new_id}, last {flow.ticket(second, ticket_id)}")
    held_version = flow.ticket(second, ticket_id)["version"]

    # The old order's timer fires in the worker; fire it once more here for good measure.
    time.sleep(max(0.0, _expires_at(old) - time.time()) + 2.0)
    with app.app_context():
        assert services.expire_order(old["id"]) is False
    assert flow.order(first, old["id"])["status"] == "cancelled"
    assert flow.order(second, new_id)["status"] == "created"
    held = flow.ticket(second, ticket_id)
    assert (held["status"], held["orderId"], held["version"]) == ("reserved", new_id, held_version)
    flow.wait_for_replica(db, ticket_id, "reserved", held_version)
    flow.assert_contexts_agree(db, ticket_id)
