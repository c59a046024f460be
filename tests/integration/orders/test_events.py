"""Events cross the contexts through a real Huey consumer: tickets feed orders' replica, orders move tickets."""

import time
from datetime import datetime

import pytest

from tests.integration.orders import flow
from tests.integration.tickets.support import user_client

pytestmark = pytest.mark.consumer


def _expires_at(body):
    return datetime.fromisoformat(body["expiresAt"]).timestamp()


def test_tickets_and_orders_follow_each_other(app, db, worker):
    seller, _ = user_client(app)
    buyer, _ = user_client(app)
    ticket_id = seller.post("/api/tickets", json={"title": "Festival", "price": 80}).get_json()["id"]
    replica = flow.wait_for_replica(db, ticket_id, "available", 0)
    assert (replica["title"], replica["price"], replica["currency"]) == ("Festival", 8000, "USD")

    seller.put(f"/api/tickets/{ticket_id}", json={"title": "Festival (weekend)", "price": 95})
    assert flow.wait_for_replica(db, ticket_id, "available", 1)["title"] == "Festival (weekend)"

    placed = buyer.post("/api/orders", json={"ticketId": ticket_id})
    assert placed.status_code == 201
    order_id = placed.get_json()["id"]
    assert placed.get_json()["ticket"] == {"id": ticket_id, "title": "Festival (weekend)", "price": 95}
    assert flow.wait_for_ticket(buyer, ticket_id, "reserved", 2)["orderId"] == order_id
    flow.wait_for_replica(db, ticket_id, "reserved", 2)
    assert seller.put(f"/api/tickets/{ticket_id}", json={"title": "Mine again", "price": 1}).status_code == 400

    assert buyer.delete(f"/api/orders/{order_id}").status_code == 204
    assert flow.wait_for_ticket(buyer, ticket_id, "available", 3)["orderId"] is None
    flow.wait_for_replica(db, ticket_id, "available", 3)
    flow.assert_contexts_agree(db, ticket_id)


def test_a_paid_order_sells_the_ticket_and_its_timer_leaves_it_alone(app, db, worker):
    app.config["ORDER_EXPIRATION_SECONDS"] = 2
    seller, _ = user_client(app)
    buyer, _ = user_client(app)
    ticket_id = seller.post("/api/tickets", json={"title": "Derby", "price": 30}).get_json()["id"]
    flow.wait_for_replica(db, ticket_id, "available", 0)
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id}).get_json()
    flow.wait_for_ticket(buyer, ticket_id, "reserved", 1)

    payment_id = flow.pay(app, placed["id"], 3000)
    flow.wait_for_order(buyer, placed["id"], "complete")
    flow.wait_for_ticket(buyer, ticket_id, "sold", 2)
    assert db.orders_orders.find_one({"ticket_id": ticket_id})["payment_id"] == payment_id

    # Let the timer fire (the worker's scheduler runs once a second) and the sweep pass a few times.
    time.sleep(max(0.0, _expires_at(placed) - time.time()) + 2.5)
    assert flow.order(buyer, placed["id"])["status"] == "complete"
    assert flow.ticket(buyer, ticket_id)["status"] == "sold"
    assert db.platform_outbox.count_documents({"type": "orders.order_cancelled.v1"}) == 0
    flow.wait_for_replica(db, ticket_id, "sold", 2)
    flow.assert_contexts_agree(db, ticket_id)
    assert buyer.delete(f"/api/orders/{placed['id']}").status_code == 400
