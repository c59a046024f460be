"""The tickets context's documents."""

from datetime import UTC, datetime

import mongoengine as me

from app.platform.documents import Document, VersionedDocument, utcnow

AVAILABLE, RESERVED, SOLD = "available", "reserved", "sold"
STATUSES = (AVAILABLE, RESERVED, SOLD)
# The sale of a ticket without an event never closes; one far-off instant keeps "on sale until > now" a single range.
OPEN_ENDED = datetime(9999, 12, 31, tzinfo=UTC)


class Ticket(VersionedDocument):
    """A ticket listed for sale; its status follows the orders' events."""

    meta = {"collection": "tickets_tickets"}
    title = me.StringField(required=True, min_length=1, max_length=200)
    price = me.IntField(required=True, min_value=1)  # minor units of `currency`
    currency = me.StringField(required=True, min_length=3, max_length=3)
    user_id = me.StringField(required=True)
    status = me.StringField(required=True, choices=STATUSES, default=AVAILABLE)
    order_id = me.StringField(null=True)  # the order holding it while reserved or sold
    created_at = me.DateTimeField(required=True, default=utcnow)
    # Who listed it first: the door of a ticket without an event is theirs. `user_id` is whoever sells it now (the
    # holder, once resold).
    original_seller_id = me.StringField(null=True)
    max_price = me.IntField(null=True)  # a resale listing's cap (minor units); None for a first listing
    reserved_until = me.DateTimeField(null=True)  # when the order holding it must be paid by (while reserved)
    event_id = me.StringField(null=True)  # the event (Show) it is a ticket for, or None (a ticket listed the old way)
    # Search copies of its event, kept by the services that change either: the sale closes when the event starts,
    # and the ticket is found by the words of its title and of its event.
    on_sale_until = me.DateTimeField(required=True, default=lambda: OPEN_ENDED)
    keywords = me.ListField(me.StringField(), default=list)


class Show(VersionedDocument):
    """A dated event that tickets are for (the API says "event"; `Event` is the platform's name for a domain event).

    `tickets_available`, `lowest_price` and `currency` summarise its available tickets; the services that change a
    ticket of the event rewrite them in the same transaction, so a listing of events reads them instead of counting.
    """

    meta = {"collection": "tickets_events"}
    name = me.StringField(required=True, min_length=1, max_length=200)
    venue = me.StringField(required=True, min_length=1, max_length=200)
    city = me.StringField(required=True, min_length=1, max_length=100)
    city_key = me.StringField(required=True)  # the city as the filter compares it (lowercase, accent-free)
    starts_at = me.DateTimeField(required=True)  # UTC
    utc_offset = me.IntField(required=True, default=0)  # minutes east of UTC the organiser gave: the venue's clock
    local_day = me.StringField(required=True)  # YYYY-MM-DD on the venue's clock, for the pages' date filters
    organizer_id = me.StringField(required=True)
    keywords = me.ListField(me.StringField(), default=list)
    tickets_available = me.IntField(required=True, default=0, min_value=0)
    lowest_price = me.IntField(null=True)  # minor units of `currency`, None when no ticket is available
    currency = me.StringField(null=True)
    created_at = me.DateTimeField(required=True, default=utcnow)


class OrderProgress(Document):
    """How far tickets has followed one order's events: the last version applied (they apply strictly in order)."""

    meta = {"collection": "tickets_orders"}
    id = me.StringField(primary_key=True)  # the order's id
    ticket_id = me.StringField(required=True)
    version = me.IntField(required=True)


VALID, USED, VOID = "valid", "used", "void"
ETICKET_STATUSES = (VALID, USED, VOID)


class ETicket(VersionedDocument):
    """The code a ticket's holder shows at the door: issued when an order completes, used at check-in, void once the
    ticket is resold. `current` is true until it is void; a unique partial index keeps one current code per ticket."""

    meta = {"collection": "tickets_etickets"}
    code = me.StringField(required=True)  # secrets.token_urlsafe(24): 192 random bits, unique index
    ticket_id = me.StringField(required=True)
    order_id = me.StringField(required=True)  # the order that bought it (unique: one code per sale)
    holder_id = me.StringField(required=True)
    holder_email = me.StringField(null=True)  # None only for an order placed before orders carried the email
    status = me.StringField(required=True, choices=ETICKET_STATUSES, default=VALID)
    current = me.BooleanField(required=True, default=True)
    event_id = me.StringField(null=True)  # the ticket's event: its organiser checks the code in
    seller_id = me.StringField(required=True)  # who sold it to the holder
    door_id = me.StringField(required=True)  # who may check it in when it has no event: the ticket's first seller
    title = me.StringField(required=True)
    price = me.IntField(required=True)  # what the holder paid, in minor units (the resale cap is counted from it)
    currency = me.StringField(required=True)
    issued_at = me.DateTimeField(required=True, default=utcnow)
    checked_in_at = me.DateTimeField(null=True)
    voided_at = me.DateTimeField(null=True)


class Sale(Document):
    """One sale of a ticket (its first sale and every resale): who sold it to whom, for how much, when."""

    meta = {"collection": "tickets_sales"}
    order_id = me.StringField(primary_key=True)
    ticket_id = me.StringField(required=True)
    seller_id = me.StringField(required=True)
    buyer_id = me.StringField(required=True)
    price = me.IntField(required=True)
    currency = me.StringField(required=True)
    sold_at = me.DateTimeField(required=True, default=utcnow)
