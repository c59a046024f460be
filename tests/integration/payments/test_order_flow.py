"""End to end through the real orders and tickets contexts and a real consumer: pay → complete → sold; late money."""

import pytest

from tests.integration.payments.support import (
    authenticate_3ds,
    charges_for_order,
    outbox_events,
    post_payment,
    start_three_d_secure_payment,
)
from tests.servers import sign_in, wait_until

pytestmark = pytest.mark.consumer


def _listed_and_reserved(app, db, price=25.5):
    """List a ticket as one user and reserve it as another, through the JSON APIs; return (buyer, ids)."""
    seller, buyer = app.test_client(), app.test_client()
    sign_in(seller)
    buyer_id = sign_in(buyer)
    ticket = seller.post("/api/tickets", json={"title": "Concert", "price": price})
    assert ticket.status_code == 201, ticket.get_json()
    ticket_id = ticket.get_json()["id"]
    order = wait_until(lambda: _reserve(buyer, ticket_id), timeout=15, message="orders to learn of the ticket")
    assert order["status"] == "created"
    wait_until(lambda: db.payments_orders.find_one({"_id": order["id"]}), timeout=15,
               message="payments to learn of the order")
    return buyer, buyer_id, ticket_id, order["id"]


def _reserve(buyer, ticket_id):
    response = buyer.post("/api/orders", json={"ticketId": ticket_id})
    return response.get_json() if response.status_code == 201 else None


def _order_status(client, order_id):
    return client.get(f"/api/orders/{order_id}").get_json()["status"]


def _ticket_status(client, ticket_id):
    return client.get(f"/api/tickets/{ticket_id}").get_json()["status"]


def test_paying_completes_the_order_and_sells_the_ticket(app, db, stripe_client, worker):
    """One payment: orders marks the order complete and tickets marks the ticket sold, through events only."""
    buyer, buyer_id, ticket_id, order_id = _listed_and_reserved(app, db, price=25.5)

    response = post_payment(buyer, order_id, "pm_card_visa")

    assert response.status_code == 201, response.get_json()
    payment = response.get_json()["payment"]
    assert (payment["amount"], payment["currency"], payment["userId"]) == (2550, "USD", buyer_id)
    wait_until(lambda: _order_status(buyer, order_id) == "complete", timeout=20, message="the order to complete")
    wait_until(lambda: _ticket_status(buyer, ticket_id) == "sold", timeout=20, message="the ticket to be sold")
    wait_until(lambda: db.payments_orders.find_one({"_id": order_id})["status"] == "complete", timeout=20,
               message="payments' replica to see the order complete")
    assert post_payment(buyer, order_id, "pm_card_visa").get_json()["errors"][0]["message"] == \
        "This order is already paid"
    assert len(charges_for_order(stripe_client, order_id)) == 1
    assert len(outbox_events(db, "orders.order_completed.v1")) == 1
    page = buyer.get(f"/orders/{order_id}")
    assert page.status_code == 200 and ">Paid</strong>" in page.get_data(as_text=True)


def test_money_after_the_order_expired_is_refunded_and_the_ticket_stays_for_sale(
        app, db, stripe_client, localstripe_server, live_server_url, worker):
    """The order expires while the buyer is in 3-D Secure: the late money is refunded and shown; nothing is sold."""
    app.config["ORDER_EXPIRATION_SECONDS"] = 6  # long enough to start paying, short enough to wait out
    buyer, _, ticket_id, order_id = _listed_and_reserved(app, db)
    payment = start_three_d_secure_payment(buyer, stripe_client, order_id)

    wait_until(lambda: _order_status(buyer, order_id) == "cancelled", timeout=20, message="the order to expire")
    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"])

    refund = wait_until(lambda: db.payments_refunds.find_one({"order_id": order_id, "status": "succeeded"}),
                        timeout=20, message="the late payment to be refunded")
    assert refund["amount"] == 2550 and refund["payment_id"] == payment["id"]
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data) == 1
    assert _order_status(buyer, order_id) == "cancelled"
    wait_until(lambda: _ticket_status(buyer, ticket_id) == "available", timeout=20,
               message="the ticket to be for sale again")
    page = buyer.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Refunded $25.50" in page


def test_a_purchase_from_reservation_to_sale_is_one_chain_across_four_contexts(app, db, stripe_client, worker):
    """Every event of one purchase carries the reservation request's id, each caused by the event before it."""
    buyer, _, ticket_id, order_id = _listed_and_reserved(app, db)
    assert post_payment(buyer, order_id, "pm_card_visa").status_code == 201
    wait_until(lambda: _ticket_status(buyer, ticket_id) == "sold", timeout=20, message="the ticket to be sold")
    created = db.platform_outbox.find_one({"type": "orders.order_created.v1", "aggregate_id": order_id})
    chain = created["payload"]["correlation_id"]
    events = {doc["type"]: doc for doc in db.platform_outbox.find({"payload.correlation_id": chain})}
    paid = events["payments.payment_succeeded.v1"]
    completed = events["orders.order_completed.v1"]
    sold = db.platform_outbox.find_one({"payload.causation_id": completed["_id"], "aggregate_id": ticket_id})
    assert paid["payload"]["order_id"] == order_id
    assert completed["payload"]["causation_id"] == paid["_id"]
    assert sold["payload"]["status"] == "sold" and sold["payload"]["correlation_id"] == chain
    contexts = {doc["type"].split(".")[0] for doc in db.platform_outbox.find({"payload.correlation_id": chain})}
    assert contexts == {"orders", "tickets", "payments"}  # and notifications, which only listens, applied them
    trace = app.test_cli_runner().invoke(args=["events", "trace", order_id]).output
    assert "payments.payment_succeeded.v1" in trace and f"caused by payments.payment_succeeded.v1 {paid['_id'][:8]}" \
        in trace
