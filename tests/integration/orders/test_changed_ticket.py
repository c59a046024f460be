"""A ticket changed by its seller as a buyer reserves it: no order is ever paid at a price other than the ticket's
price when tickets accepts the reservation, and a ticket never changes while an order holds it."""

import threading

import pytest
from bson import ObjectId

from app.orders import services as orders
from app.platform.errors import EventNotReadyError
from app.tickets import services as tickets
from tests.integration.orders import flow
from tests.integration.tickets.support import list_ticket, user_client
from tests.servers import drain, sign_in, wait_until


def _settled(db):
    work = flow.pending_work(db)
    return not work["unrelayed"] and not work["deliveries"]


def _wait_settled(db, timeout=20):
    flow.eventually(lambda: _settled(db), lambda: flow.pending_work(db), timeout)


def _order(db, order_id):
    return db.orders_orders.find_one({"_id": ObjectId(order_id)})


@pytest.mark.consumer
def test_a_reservation_at_a_price_the_seller_just_changed_is_cancelled_as_ticket_changed(app, db, worker_factory):
    """The seller raised $5 to $500; orders' replica still said $5 when the buyer reserved: tickets refuses it."""
    seller = str(ObjectId())
    with app.app_context():
        ticket_id = list_ticket(app, seller, "Front row", 5)
        tickets.update_ticket(ticket_id, seller, "Front row", 500)  # committed; its event not relayed yet
    assert db.orders_tickets.find_one({"_id": ticket_id})["price"] == 500  # cents: the replica still says $5...
    buyer, _ = user_client(app)
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id})
    assert placed.status_code == 201 and placed.get_json()["ticket"]["price"] == 5  # ...so the buyer got $5

    worker_factory()  # now the events flow

    cancelled = flow.wait_for_order(buyer, placed.get_json()["id"], "cancelled")
    assert cancelled["ticket"]["price"] == 5
    assert _order(db, cancelled["id"])["cancel_reason"] == "ticket changed"
    _wait_settled(db)
    shown = flow.ticket(buyer, ticket_id)
    assert (shown["status"], shown["price"]) == ("available", 500)  # for sale again, at the seller's price
    page = buyer.get(f"/orders/{cancelled['id']}").get_data(as_text=True)
    assert "ticket changed" in page and "Cancelled" in page
    # Payments has heard it too: the $5 order takes no money.
    refused = buyer.post("/api/payments", json={"orderId": cancelled["id"], "token": "tok_visa"})
    assert refused.status_code == 400
    assert refused.get_json() == {"errors": [{"message": "Cannot pay for a cancelled order"}]}


@pytest.mark.consumer
def test_an_edit_accepted_just_after_a_reservation_cancels_the_order_not_the_edit(app, db, worker_factory):
    """Orders took the reservation, but tickets had not heard of it when the seller's edit came in."""
    seller_client, seller = user_client(app)
    with app.app_context():
        ticket_id = list_ticket(app, seller, "Old title", 20)
    buyer, _ = user_client(app)
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id})  # no worker yet: tickets does not know
    assert placed.status_code == 201
    edited = seller_client.put(f"/api/tickets/{ticket_id}", json={"title": "New title", "price": 35})
    assert edited.status_code == 200

    worker_factory()
    cancelled = flow.wait_for_order(buyer, placed.get_json()["id"], "cancelled")
    assert _order(db, cancelled["id"])["cancel_reason"] == "ticket changed"
    _wait_settled(db)
    shown = flow.ticket(buyer, ticket_id)
    assert (shown["status"], shown["title"], shown["price"]) == ("available", "New title", 35)
    flow.assert_contexts_agree(db, ticket_id)


def test_money_for_an_order_tickets_has_not_accepted_waits_and_is_refused_if_tickets_refuses(app, db):
    """A payment that overtakes tickets' answer does not complete the order; once tickets refuses, it is rejected."""
    seller = str(ObjectId())
    buyer = str(ObjectId())
    with app.app_context():
        ticket_id = list_ticket(app, seller, "Gig", 5)
        good_ticket = list_ticket(app, seller, "Other gig", 7)
        tickets.update_ticket(ticket_id, seller, "Gig", 500)
        stale = str(orders.place_order(buyer, ticket_id).id)
        fine = str(orders.place_order(buyer, good_ticket).id)
        for order_id in (stale, fine):
            with pytest.raises(EventNotReadyError):  # the delivery waits for tickets' answer
                orders.complete_order(order_id, f"pay_{order_id}")
        drain(app)
        assert orders.complete_order(stale, "pay_stale") is False
        assert orders.complete_order(fine, "pay_fine") is True
    assert _order(db, stale)["status"] == "cancelled" and _order(db, fine)["status"] == "complete"
    rejected = db.platform_outbox.find_one({"type": "orders.order_payment_rejected.v1"})
    assert (rejected["payload"]["payment_id"], rejected["payload"]["reason"]) == ("pay_stale", "ticket changed")


def test_a_reserved_ticket_cannot_be_edited(app, db):
    seller_client, seller = user_client(app)
    with app.app_context():
        ticket_id = list_ticket(app, seller, "Held", 20)
    buyer = app.test_client()
    sign_in(buyer)
    assert buyer.post("/api/orders", json={"ticketId": ticket_id}).status_code == 201
    drain(app)
    refused = seller_client.put(f"/api/tickets/{ticket_id}", json={"title": "Held", "price": 99})
    assert refused.status_code == 400
    assert refused.get_json() == {"errors": [{"message": "Cannot edit a reserved ticket"}]}
    assert db.tickets_tickets.find_one({"_id": ObjectId(ticket_id)})["price"] == 2000


@pytest.mark.consumer
def test_once_events_settle_every_order_not_cancelled_shows_its_tickets_title_and_price(app, db, worker):
    """Sellers edit while buyers reserve, all at once; afterwards no live order disagrees with its ticket."""
    pairs = []
    for n in range(6):
        seller_client, seller = user_client(app)
        with app.app_context():
            ticket_id = list_ticket(app, seller, f"Show {n}", 10 + n)
        pairs.append((seller_client, user_client(app)[0], ticket_id))
    start = threading.Barrier(12)

    def edit(seller_client, ticket_id, n):
        start.wait()
        seller_client.put(f"/api/tickets/{ticket_id}", json={"title": f"Show {n} (moved)", "price": 100 + n})

    def reserve(buyer, ticket_id):
        start.wait()
        buyer.post("/api/orders", json={"ticketId": ticket_id})

    threads = []
    for n, (seller_client, buyer, ticket_id) in enumerate(pairs):
        threads += [threading.Thread(target=edit, args=(seller_client, ticket_id, n)),
                    threading.Thread(target=reserve, args=(buyer, ticket_id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    wait_until(lambda: _settled(db), timeout=30, message="events to settle")

    live = list(db.orders_orders.find({"status": {"$ne": "cancelled"}}))
    for order in live:
        ticket = db.tickets_tickets.find_one({"_id": ObjectId(order["ticket_id"])})
        assert (order["ticket"]["title"], order["ticket"]["price"]) == (ticket["title"], ticket["price"])
        assert (ticket["status"], ticket["order_id"]) == ("reserved", str(order["_id"]))
    for order in db.orders_orders.find({"status": "cancelled"}):
        assert order["cancel_reason"] == "ticket changed"
