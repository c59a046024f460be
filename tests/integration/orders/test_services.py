"""Orders' rules at the service level: expiry and its sweep, payments, and the tickets replica in version order."""

import time

import pytest
from bson import ObjectId

from app.orders import services
from app.orders.errors import TicketAlreadyReservedError
from app.platform.errors import EventNotReadyError
from tests.integration.tickets.support import list_ticket
from tests.writes import counting_writes


@pytest.fixture
def ticket_id(app):
    """Return the id of a ticket another user listed, already in orders' replica."""
    with app.app_context():
        return list_ticket(app, str(ObjectId()), "Concert", 20)


def _order(db, order_id):
    return db.orders_orders.find_one({"_id": ObjectId(order_id)})


def _order_events(db, order_id):
    return [(e["type"].split(".")[1], e["version"]) for e in db.platform_outbox.find({"aggregate_id": order_id},
                                                                                      sort=[("created_at", 1)])]


def _place(app, ticket_id, seconds=900, buyer=None):
    app.config["ORDER_EXPIRATION_SECONDS"] = seconds
    with app.app_context():
        return str(services.place_order(buyer or str(ObjectId()), ticket_id).id)


def _accepted(app, db, order_id):
    """Apply to orders' replica the ticket's next version, reserved by this order, as tickets' event would."""
    order = _order(db, order_id)
    replica = db.orders_tickets.find_one({"_id": order["ticket_id"]})
    fields = {k: replica[k] for k in ("title", "price", "currency", "user_id")}
    with app.app_context():
        services.record_ticket(order["ticket_id"], replica["version"] + 1, status="reserved", order_id=order_id,
                               **fields)


def test_the_timer_does_nothing_before_the_order_expires(app, db, ticket_id):
    order_id = _place(app, ticket_id)
    with app.app_context():
        assert services.expire_order(order_id) is False
    assert _order(db, order_id)["status"] == "created"


def test_the_timer_cancels_an_unpaid_order_once_it_expired(app, db, ticket_id):
    order_id = _place(app, ticket_id, seconds=0)
    with app.app_context():
        assert services.expire_order(order_id) is True
        assert services.expire_order(order_id) is False  # a second timer is harmless
    order = _order(db, order_id)
    assert (order["status"], order["cancel_reason"], order["active"], order["version"]) == (
        "cancelled", "expired", False, 1)
    assert _order_events(db, order_id) == [("order_created", 0), ("order_cancelled", 1)]


def test_a_paid_order_is_never_cancelled_by_its_timer(app, db, ticket_id):
    order_id = _place(app, ticket_id, seconds=0)
    _accepted(app, db, order_id)
    with app.app_context():
        assert services.complete_order(order_id, "pay_1") is True
        assert services.expire_order(order_id) is False
        assert services.cancel_overdue_orders() == 0
    assert _order(db, order_id)["status"] == "complete"
    assert _order_events(db, order_id) == [("order_created", 0), ("order_completed", 1)]


def test_a_stale_timer_leaves_the_newer_order_alone(app, db, ticket_id):
    old = _place(app, ticket_id, seconds=0)
    with app.app_context():
        services.expire_order(old)
    new = _place(app, ticket_id)
    with app.app_context():
        assert services.expire_order(old) is False
    assert _order(db, new)["status"] == "created"
    assert _order_events(db, old) == [("order_created", 0), ("order_cancelled", 1)]


def test_the_sweep_expires_every_overdue_unpaid_order_and_only_those(app, db):
    with app.app_context():
        tickets = [list_ticket(app, str(ObjectId()), f"Gig {n}", 5) for n in range(4)]
    overdue = [_place(app, tickets[0], seconds=0), _place(app, tickets[1], seconds=0)]
    paid = _place(app, tickets[2], seconds=0)
    fresh = _place(app, tickets[3], seconds=900)
    _accepted(app, db, paid)
    with app.app_context():
        services.complete_order(paid, "pay_1")
        time.sleep(0.01)
        assert services.cancel_overdue_orders() == 2
        assert services.cancel_overdue_orders() == 0
    assert [_order(db, o)["cancel_reason"] for o in overdue] == ["expired", "expired"]
    assert (_order(db, paid)["status"], _order(db, fresh)["status"]) == ("complete", "created")


def test_a_payment_for_a_cancelled_order_is_rejected_for_a_refund(app, db, ticket_id):
    order_id = _place(app, ticket_id, seconds=0)
    with app.app_context():
        services.expire_order(order_id)
        assert services.complete_order(order_id, "pay_late") is False
    assert _order(db, order_id)["status"] == "cancelled"
    rejected = db.platform_outbox.find_one({"type": "orders.order_payment_rejected.v1"})
    assert rejected["aggregate_id"] == order_id and rejected["version"] == 1
    assert (rejected["payload"]["payment_id"], rejected["payload"]["reason"]) == ("pay_late", "expired")


def test_the_same_payment_twice_completes_once(app, db, ticket_id):
    order_id = _place(app, ticket_id)
    _accepted(app, db, order_id)
    with app.app_context():
        assert services.complete_order(order_id, "pay_1") is True
        assert services.complete_order(order_id, "pay_1") is False
        assert services.complete_order(order_id, "pay_2") is False
    assert _order(db, order_id)["payment_id"] == "pay_1"
    assert _order_events(db, order_id) == [("order_created", 0), ("order_completed", 1),
                                           ("order_payment_rejected", 1)]


def test_the_unique_index_refuses_a_second_active_order(app, db, ticket_id):
    _place(app, ticket_id)
    with pytest.raises(TicketAlreadyReservedError), app.app_context():
        services.place_order(str(ObjectId()), ticket_id)
    index = db.orders_orders.index_information()["one_active_order_per_ticket"]
    assert index["unique"] and index["partialFilterExpression"] == {"active": True}


def test_the_replica_applies_versions_only_in_order(app, db):
    ticket_id = str(ObjectId())
    fields = {"title": "Gig", "price": 100, "currency": "USD", "user_id": "u1", "order_id": None}
    with app.app_context():
        with pytest.raises(EventNotReadyError):
            services.record_ticket(ticket_id, 1, status="reserved", **{**fields, "order_id": "o1"})
        assert services.record_ticket(ticket_id, 0, status="available", **fields) is True
        assert services.record_ticket(ticket_id, 0, status="available", **fields) is False
        assert services.record_ticket(ticket_id, 1, status="reserved", **{**fields, "order_id": "o1"}) is True
    replica = db.orders_tickets.find_one({"_id": ticket_id})
    assert (replica["status"], replica["order_id"], replica["version"]) == ("reserved", "o1", 1)


def test_the_timer_task_and_the_sweep_are_wired(app, db, ticket_id):
    assert services.cancel_overdue_orders in app.extensions["sweeps"]
    order_id = _place(app, ticket_id, seconds=0)
    huey = app.extensions["huey"]
    timers = [t for t in huey.pending() if t.name == "expire_order_task"]
    assert [t.args for t in timers] == [(order_id,)]
    with app.app_context():
        huey.execute(timers[0])  # what the consumer does once the eta has passed
    assert _order(db, order_id)["cancel_reason"] == "expired"


def test_a_new_listing_costs_orders_one_write(app, db, monkeypatch):
    # A ticket's first version can be held by no order (orders did not know the ticket), so its replica is the only
    # write; a resale, a later version back to available, looks for the order that held the ticket.
    ticket_id = str(ObjectId())
    fields = {"title": "Gig", "price": 100, "currency": "USD", "user_id": "u1", "order_id": None}
    with app.app_context(), counting_writes(app, monkeypatch) as listener:
        assert services.record_ticket(ticket_id, 0, status="available", **fields) is True
    assert listener.collections == ["orders_tickets"]
    assert db.orders_tickets.find_one({"_id": ticket_id})["status"] == "available"


def test_a_buyer_who_loses_the_race_costs_one_refused_insert(app, db, ticket_id, monkeypatch):
    # In a sell-out most buyers lose: their transaction tries the order (refused by the one-active-order index) and
    # writes nothing else, and leaves them no hold on their reservation limit.
    _place(app, ticket_id)
    loser = str(ObjectId())
    with pytest.raises(TicketAlreadyReservedError), app.app_context(), counting_writes(app, monkeypatch) as listener:
        services.place_order(loser, ticket_id)
    assert listener.collections == ["orders_orders"]
    assert db.orders_buyer_holds.find_one({"_id": loser}) is None
