"""Documents of the notifications context: what it knows from other contexts' events, and every email it owes.

It reads nobody else's collections: addresses, tickets and orders are its own small records built from events.
"""

import mongoengine as me

from app.platform.documents import Document, utcnow

PENDING, SENT, DEAD = "pending", "sent", "dead"
KINDS = ("welcome", "reservation_held", "payment_received", "reservation_ended", "refund_issued", "ticket_sold")


class Recipient(Document):
    """An account's address, from `auth.user_registered.v1` (the only place notifications learns it)."""

    meta = {"collection": "notifications_users"}
    id = me.StringField(primary_key=True)  # the user id
    email = me.StringField(required=True)
    version = me.IntField(required=True)


class TicketRecord(Document):
    """The ticket as its latest event described it, applied in version order: who sells it, what, for how much."""

    meta = {"collection": "notifications_tickets"}
    id = me.StringField(primary_key=True)
    title = me.StringField(required=True)
    price = me.IntField(required=True)  # minor units of `currency`
    currency = me.StringField(required=True)
    user_id = me.StringField(required=True)  # the seller
    status = me.StringField(required=True)
    order_id = me.StringField(null=True)
    event_id = me.StringField(null=True)  # the dated event it is for, if any
    version = me.IntField(required=True)


class ShowRecord(Document):
    """A dated event (a show) as its latest event described it, applied in version order: what the emails name."""

    meta = {"collection": "notifications_shows"}
    id = me.StringField(primary_key=True)
    name = me.StringField(required=True)
    venue = me.StringField(required=True)
    city = me.StringField(required=True)
    starts_at = me.DateTimeField(required=True)
    utc_offset = me.IntField(required=True, default=0)  # minutes east of UTC: the venue's clock
    version = me.IntField(required=True)


class OrderRecord(Document):
    """What a buyer reserved, as `orders.order_created.v1` said it (these facts never change)."""

    meta = {"collection": "notifications_orders"}
    id = me.StringField(primary_key=True)
    user_id = me.StringField(required=True)  # the buyer
    ticket_id = me.StringField(required=True)
    title = me.StringField(required=True)
    price = me.IntField(required=True)
    currency = me.StringField(required=True)
    expires_at = me.DateTimeField(required=True)
    version = me.IntField(required=True)


class Email(Document):
    """One email owed to one person because of one event: rendered when the event arrived, sent by a task.

    `key` ("<event id>:<user id>:<kind>") is unique, so a redelivered event never writes a second email. `status` is
    pending until the SMTP server accepted it (sent), or until MAIL_MAX_ATTEMPTS failures (dead, revivable). A sent
    email keeps its envelope (kind, to, subject, sent_at) and drops its body.
    """

    meta = {"collection": "notifications_emails"}
    key = me.StringField(required=True)
    kind = me.StringField(required=True, choices=KINDS)
    user_id = me.StringField(required=True)
    to = me.StringField(null=True)  # None until the address is known (looked up again when sending)
    subject = me.StringField(required=True)
    text = me.StringField()  # the body, until it is sent
    html = me.StringField()
    status = me.StringField(required=True, choices=(PENDING, SENT, DEAD), default=PENDING)
    attempts = me.IntField(required=True, default=0)
    next_attempt_at = me.DateTimeField(required=True, default=utcnow)
    lease_until = me.DateTimeField(null=True)  # who may talk to the SMTP server for it right now
    enqueued_at = me.DateTimeField(null=True)  # when a send task was last queued for it
    last_error = me.StringField(null=True)
    created_at = me.DateTimeField(required=True, default=utcnow)
    sent_at = me.DateTimeField(null=True)
