"""Notifications' own records of tickets: applied in version order once known, started from whatever version is seen
first for a ticket listed before notifications listened, and a sale told to its seller once."""

import pytest
from bson import ObjectId

from app.notifications import handlers
from app.platform.errors import EventNotReadyError
from app.platform.uow import run_in_transaction
from app.tickets.events import TicketUpdated


def _ticket_event(ticket_id, version, status="available", order_id=None, seller="seller-1"):
    return TicketUpdated(aggregate_id=ticket_id, version=version, title=f"Gig v{version}", price=1000,
                         currency="USD", user_id=seller, status=status, order_id=order_id)


def _deliver(app, event):
    with app.app_context():
        return run_in_transaction(handlers.on_ticket_changed, event)


def _record(db, ticket_id):
    return db.notifications_tickets.find_one({"_id": ticket_id})


def test_a_ticket_listed_before_notifications_listened_is_recorded_then_kept_in_version_order(app, db):
    ticket_id = str(ObjectId())

    _deliver(app, _ticket_event(ticket_id, 2))  # versions 0 and 1 were relayed before this context existed
    assert (_record(db, ticket_id)["version"], _record(db, ticket_id)["title"]) == (2, "Gig v2")

    _deliver(app, _ticket_event(ticket_id, 1))  # older than what we hold: changes nothing
    assert _record(db, ticket_id)["version"] == 2
    with pytest.raises(EventNotReadyError):
        _deliver(app, _ticket_event(ticket_id, 4))  # early: waits for version 3, never applied before it
    assert _record(db, ticket_id)["version"] == 2

    _deliver(app, _ticket_event(ticket_id, 3, status="reserved", order_id="order-1"))
    _deliver(app, _ticket_event(ticket_id, 4))
    assert (_record(db, ticket_id)["version"], _record(db, ticket_id)["status"]) == (4, "available")


def test_a_sale_is_told_to_the_seller_once(app, db):
    ticket_id = str(ObjectId())
    _deliver(app, _ticket_event(ticket_id, 0))
    _deliver(app, _ticket_event(ticket_id, 1, status="reserved", order_id="order-1"))

    sold = _ticket_event(ticket_id, 2, status="sold", order_id="order-1")
    _deliver(app, sold)
    # Redelivered with no inbox entry to stop it (the handler is version-ordered): the record's version does.
    _deliver(app, sold)
    assert not app.extensions["dispatcher"].needs_inbox("app.notifications.handlers.on_ticket_changed")
    _deliver(app, _ticket_event(ticket_id, 3, status="sold", order_id="order-1"))  # a later version, still sold

    [email] = list(db.notifications_emails.find({"kind": "ticket_sold"}))
    assert email["user_id"] == "seller-1" and "Gig v2" in email["subject"] and "$10.00" in email["text"]
