"""Helpers for the tests that run events through a real Huey consumer."""

from bson import ObjectId
from pymongo.errors import OperationFailure

from app.payments.events import PaymentSucceeded
from app.platform.events import emit
from app.platform.uow import run_in_transaction
from tests.servers import wait_until


def eventually(predicate, describe, timeout=10.0):
    """Poll predicate until truthy and return its value; on timeout fail with describe() of the state by then."""
    try:
        return wait_until(predicate, timeout)
    except AssertionError:
        raise AssertionError(f"timed out after {timeout}s: {describe()}") from None


def pending_work(db):
    """Describe the events and deliveries not finished yet, to explain a timeout."""
    return {
        "unrelayed": [e["type"] for e in db.platform_outbox.find({"relayed": False})],
        "deliveries": [(d["handler"].rsplit(".", 1)[1], d["status"], d["attempts"], d.get("waits"),
                        (d.get("last_error") or "")[:120])
                       for d in db.platform_deliveries.find({"status": {"$ne": "done"}})],
    }


def ticket(client, ticket_id):
    """Return the ticket as the tickets API shows it."""
    return client.get(f"/api/tickets/{ticket_id}").get_json()


def order(client, order_id):
    """Return the order as the orders API shows it to its buyer."""
    return client.get(f"/api/orders/{order_id}").get_json()


def wait_for_ticket(client, ticket_id, status, version, timeout=10.0):
    """Wait until the tickets context shows the ticket at this status and version; return it."""
    def reached():
        shown = ticket(client, ticket_id)
        return shown if (shown.get("status"), shown.get("version")) == (status, version) else None

    return eventually(reached, lambda: f"ticket {status} at version {version}, last {ticket(client, ticket_id)}, "
                                       f"{pending_work(client.application.extensions['mongo'].db)}",
                      timeout)


def wait_for_order(client, order_id, status, timeout=10.0):
    """Wait until the orders API shows the order at this status; return it."""
    return eventually(lambda: (shown := order(client, order_id)).get("status") == status and shown,
                      lambda: f"order {status}, last {order(client, order_id)}", timeout)


def wait_for_replica(db, ticket_id, status, version, timeout=10.0):
    """Wait until orders' replica holds the ticket at this status and version; return it."""
    def reached():
        try:
            replica = db.orders_tickets.find_one({"_id": ticket_id})
        except OperationFailure:
            return None  # the embedded server was busy with a transaction: look again
        return replica if replica and (replica["status"], replica["version"]) == (status, version) else None

    return eventually(reached, lambda: f"replica {status} at version {version}, "
                                       f"last {db.orders_tickets.find_one({'_id': ticket_id})}, {pending_work(db)}",
                      timeout)


def assert_contexts_agree(db, ticket_id):
    """Assert that orders' replica shows exactly the tickets context's ticket: same version, status and holder."""
    source = db.tickets_tickets.find_one({"_id": ObjectId(ticket_id)})
    replica = db.orders_tickets.find_one({"_id": ticket_id})
    mine = (source["version"], source["status"], source["order_id"])
    theirs = (replica["version"], replica["status"], replica["order_id"])
    assert mine == theirs, f"tickets has {mine}, orders' replica has {theirs}"


def pay(app, order_id, amount, currency="USD"):
    """Tell orders a payment succeeded, as the payments context would: an event in the outbox; return its id."""
    payment_id = str(ObjectId())
    with app.app_context():
        run_in_transaction(lambda: emit(PaymentSucceeded(aggregate_id=payment_id, version=0, order_id=order_id,
                                                         stripe_id=f"pi_{payment_id}", amount=amount,
                                                         currency=currency)))
    return payment_id
