"""The tickets context's documents."""

import mongoengine as me

from app.platform.documents import Document, VersionedDocument, utcnow

AVAILABLE, RESERVED, SOLD = "available", "reserved", "sold"
STATUSES = (AVAILABLE, RESERVED, SOLD)


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


class OrderProgress(Document):
    """How far tickets has followed one order's events: the last version applied (they apply strictly in order)."""

    meta = {"collection": "tickets_orders"}
    id = me.StringField(primary_key=True)  # the order's id
    ticket_id = me.StringField(required=True)
    version = me.IntField(required=True)
