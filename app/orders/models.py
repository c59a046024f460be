"""The orders context's documents: orders, and its replica of the tickets it can sell."""

import mongoengine as me

from app.platform.documents import Document, VersionedDocument, utcnow

CREATED, CANCELLED, AWAITING_PAYMENT, COMPLETE = "created", "cancelled", "awaiting:payment", "complete"
STATUSES = (CREATED, CANCELLED, AWAITING_PAYMENT, COMPLETE)
UNPAID = (CREATED, AWAITING_PAYMENT)
# Why an order ended: the buyer cancelled it, its time ran out, the seller changed the ticket before tickets
# accepted the reservation, the holder withdrew the ticket's resale before tickets accepted it, or the holder's code
# was checked in at the door while the ticket was listed (the one reason that also ends a paid order, whose payment is
# then refunded; "sold to another order" is its catch-all twin, which no flow takes today).
CANCELLED_BY_BUYER, EXPIRED, TICKET_CHANGED, WITHDRAWN = "cancelled", "expired", "ticket changed", "withdrawn"
CHECKED_IN, SOLD_TO_ANOTHER = "checked in", "sold to another order"
CANCEL_REASONS = (CANCELLED_BY_BUYER, EXPIRED, TICKET_CHANGED, WITHDRAWN, CHECKED_IN, SOLD_TO_ANOTHER)


class TicketSnapshot(me.EmbeddedDocument):
    """The ticket as it was when the order was placed: what the buyer agreed to pay."""

    id = me.StringField(required=True)
    title = me.StringField(required=True)
    price = me.IntField(required=True)  # minor units of `currency`
    currency = me.StringField(required=True)


class Order(VersionedDocument):
    """A buyer's reservation of one ticket, to be paid before `expires_at`.

    `active` is true for every status but cancelled; a unique partial index on (ticket_id where active) is what
    guarantees one active order per ticket. A complete order stops being active when its buyer puts the ticket back
    on sale (a resale), and is active again if that resale is withdrawn.
    """

    meta = {"collection": "orders_orders"}
    user_id = me.StringField(required=True)
    status = me.StringField(required=True, choices=STATUSES, default=CREATED)
    expires_at = me.DateTimeField(required=True)
    ticket_id = me.StringField(required=True)
    ticket = me.EmbeddedDocumentField(TicketSnapshot, required=True)
    active = me.BooleanField(required=True, default=True)
    cancel_reason = me.StringField(null=True, choices=CANCEL_REASONS)
    payment_id = me.StringField(null=True)
    created_at = me.DateTimeField(required=True, default=utcnow)
    event_id = me.StringField(null=True)  # the dated event of the ticket: the order cannot outlive its start
    user_email = me.StringField(null=True)  # the buyer's, from their session: tickets puts it on the e-ticket
    eticket_code = me.StringField(null=True)  # the buyer's e-ticket, once tickets has issued it (ETicketIssued)


class TicketReplica(Document):
    """Orders' own copy of a ticket, built from the tickets' events in version order."""

    meta = {"collection": "orders_tickets"}
    id = me.StringField(primary_key=True)
    title = me.StringField(required=True)
    price = me.IntField(required=True)
    currency = me.StringField(required=True)
    user_id = me.StringField(required=True)
    status = me.StringField(required=True)
    order_id = me.StringField(null=True)
    version = me.IntField(required=True)
    event_id = me.StringField(null=True)
    starts_at = me.DateTimeField(null=True)  # the event's start as the ticket's last event told (EventReplica wins)


class EventReplica(Document):
    """Orders' own copy of a dated event (its start above all), built from the tickets' events in version order."""

    meta = {"collection": "orders_events"}
    id = me.StringField(primary_key=True)
    name = me.StringField(required=True)
    venue = me.StringField(required=True)
    city = me.StringField(required=True)
    starts_at = me.DateTimeField(required=True)
    utc_offset = me.IntField(required=True, default=0)
    version = me.IntField(required=True)


class BuyerHolds(Document):
    """The unpaid orders one buyer holds: at most MAX_ACTIVE_ORDERS_PER_BUYER ids, enforced by a conditional update.

    An order's id is pushed in the transaction that places it, only while the array is shorter than the limit, and
    pulled in the transaction that ends it (paid or cancelled), so concurrent reservations cannot exceed the limit.
    """

    meta = {"collection": "orders_buyer_holds"}
    id = me.StringField(primary_key=True)  # the buyer's user id
    order_ids = me.ListField(me.StringField(), default=list)
