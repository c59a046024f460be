"""A resale that collides with a check-in: the holder's code (still valid while their ticket is listed) lets them in at
the door while a new buyer is paying for the listing. The holder keeps the ticket, their code is used, and the new
buyer's money goes back through Stripe with the reason on their order.

Each race is driven in a fixed order: the buyer pays (localstripe) and the door scans before a real worker starts, so
the worker's first relay pass hands orders the two events in the order they were committed."""

import pytest
from bson import ObjectId

from app.orders import handlers as orders_handlers
from app.payments import handlers as payments_handlers
from app.platform.events import Event
from app.platform.uow import run_in_transaction
from tests.integration.orders import flow
from tests.integration.payments.support import outbox_events, post_payment
from tests.integration.tickets.etickets_support import settle, sold_ticket
from tests.integration.tickets.support import user_client
from tests.servers import wait_until

pytestmark = pytest.mark.consumer
AT_THE_DOOR = "The ticket was used at the door before your payment arrived"


def _listed_and_reserved(app, db):
    """A $50 ticket bought by its holder, resold for $60 and reserved by a new buyer; return (sold, buyer, order id)."""
    sold = sold_ticket(app, price=50)
    assert sold.buyer.post(f"/api/tickets/{sold.ticket_id}/resale", json={"price": 60}).status_code == 201
    settle(app)
    buyer, _ = user_client(app, email="late-buyer@example.com")
    placed = buyer.post("/api/orders", json={"ticketId": sold.ticket_id})
    assert placed.status_code == 201, placed.get_json()
    order_id = placed.get_json()["id"]
    settle(app)
    assert flow.ticket(buyer, sold.ticket_id)["status"] == "reserved"
    assert db.orders_tickets.find_one({"_id": sold.ticket_id})["order_id"] == order_id
    assert db.payments_orders.find_one({"_id": order_id})["status"] == "created"
    return sold, buyer, order_id


def _pay(buyer, order_id):
    response = post_payment(buyer, order_id, "pm_card_visa")
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()["payment"]
    assert payment["status"] == "succeeded" and payment["amount"] == 6000
    return payment


def _check_in(sold):
    response = sold.organiser.post(f"/api/etickets/{sold.code}/check-in")
    assert response.status_code == 200, response.get_json()


def _refunded(db, stripe_client, payment, order_id):
    refund = flow.eventually(lambda: db.payments_refunds.find_one({"order_id": order_id, "status": "succeeded"}),
                             lambda: f"the buyer's refund; {flow.pending_work(db)}", timeout=30)
    assert (refund["payment_id"], refund["amount"]) == (payment["id"], 6000)
    [at_stripe] = stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data
    assert (at_stripe.id, at_stripe.amount, at_stripe.status) == (refund["stripe_refund_id"], 6000, "succeeded")
    return refund


def _assert_the_holder_kept_it(app, db, sold, buyer, order_id):
    """The ticket is sold to the holder's order, their code used, no code for the buyer; the buyer sees why."""
    shown = flow.ticket(buyer, sold.ticket_id)
    assert (shown["status"], shown["orderId"], shown["userId"]) == ("sold", sold.order_id, sold.buyer_id)
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "used"
    assert db.tickets_etickets.count_documents({"ticket_id": sold.ticket_id}) == 1
    order = flow.order(buyer, order_id)
    assert (order["status"], order["cancelReason"], order["eticket"]) == ("cancelled", "checked in", None)
    page = buyer.get(f"/orders/{order_id}").get_data(as_text=True)
    assert AT_THE_DOOR in page and "Refunded $60.00" in page
    # The holder's order holds the ticket's slot again: nobody can reserve the ticket that went through the door.
    wait_until(lambda: db.orders_orders.find_one({"_id": ObjectId(sold.order_id)})["active"], timeout=15,
               message="the holder's order to hold the ticket again")
    assert db.orders_orders.count_documents({"ticket_id": sold.ticket_id, "active": True}) == 1
    third, _ = user_client(app)
    assert third.post("/api/orders", json={"ticketId": sold.ticket_id}).status_code == 400
    wait_until(lambda: not flow.pending_work(db)["deliveries"] and not flow.pending_work(db)["unrelayed"],
               timeout=15, message="every event to be applied")
    flow.assert_contexts_agree(db, sold.ticket_id)


def test_paid_before_orders_heard_of_the_check_in_the_sale_is_refused_and_refunded(
        app, db, stripe_client, worker_factory, stripe_env):
    """Orders completes the buyer's order (its payment came first); tickets, where the holder is already in, refuses
    the sale; orders ends the paid order and rejects its payment; payments refunds it at Stripe. Once."""
    sold, buyer, order_id = _listed_and_reserved(app, db)
    payment = _pay(buyer, order_id)
    _check_in(sold)
    worker_factory(**stripe_env)

    _refunded(db, stripe_client, payment, order_id)
    # The race happened as described: orders completed the order before tickets refused it.
    assert [e["aggregate_id"] for e in outbox_events(db, "orders.order_completed.v1")].count(order_id) == 1
    [refused] = outbox_events(db, "tickets.ticket_sale_refused.v1")
    assert (refused["order_id"], refused["reason"]) == (order_id, "checked in")
    _assert_the_holder_kept_it(app, db, sold, buyer, order_id)

    # A redelivery of the refusal or of the rejection (past the inbox, even) refunds nothing more.
    with app.app_context():
        run_in_transaction(orders_handlers.end_refused_sale, Event.from_dict(refused))
        [rejected] = outbox_events(db, "orders.order_payment_rejected.v1")
        run_in_transaction(payments_handlers.on_order_payment_rejected, Event.from_dict(rejected))
    assert rejected["payment_id"] == payment["id"] and rejected["reason"] == "checked in"
    assert len(outbox_events(db, "orders.order_payment_rejected.v1")) == 1
    assert db.payments_refunds.count_documents({"order_id": order_id}) == 1
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data) == 1


def test_paid_after_orders_ended_the_reservation_the_payment_is_rejected_and_refunded(
        app, db, stripe_client, worker_factory, stripe_env):
    """The check-in reaches orders first: the unpaid order ends ("checked in"), and the money that then arrives for
    it (taken while payments still saw the order open) is rejected by orders and refunded."""
    sold, buyer, order_id = _listed_and_reserved(app, db)
    _check_in(sold)
    payment = _pay(buyer, order_id)
    worker_factory(**stripe_env)

    _refunded(db, stripe_client, payment, order_id)
    assert order_id not in [e["aggregate_id"] for e in outbox_events(db, "orders.order_completed.v1")]
    [rejected] = outbox_events(db, "orders.order_payment_rejected.v1")
    assert (rejected["aggregate_id"], rejected["payment_id"], rejected["reason"]) == (
        order_id, payment["id"], "checked in")
    _assert_the_holder_kept_it(app, db, sold, buyer, order_id)


def test_checked_in_after_the_resale_completed_the_old_code_is_refused(app, db, stripe_client, worker_factory,
                                                                       stripe_env):
    """The other order of arrivals: tickets sells to the new buyer first, so the holder's code is void at the door
    (410) and the new buyer keeps the ticket and the money stays paid."""
    sold, buyer, order_id = _listed_and_reserved(app, db)
    worker_factory(**stripe_env)
    payment = _pay(buyer, order_id)
    order = flow.eventually(lambda: (body := flow.order(buyer, order_id))["eticket"] and body,
                            lambda: f"the new buyer's e-ticket; {flow.pending_work(db)}", timeout=30)

    refused = sold.organiser.post(f"/api/etickets/{sold.code}/check-in")
    assert refused.status_code == 410
    assert refused.get_json()["errors"][0]["message"] == "This e-ticket is void: the ticket was resold"
    assert (order["status"], order["cancelReason"]) == ("complete", None)
    assert sold.organiser.get(f"/api/etickets/{order['eticket']['code']}").get_json()["status"] == "valid"
    assert db.payments_refunds.count_documents({"payment_id": payment["id"]}) == 0
    assert stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data == []
