"""Documents of the payments context: its replicas of orders and of their dated events, payment attempts, refunds and
seen webhook events."""

import mongoengine as me

from app.platform.documents import Document, VersionedDocument, utcnow

PAYABLE_STATUSES = ("created", "awaiting:payment")


class PaymentOrder(Document):
    """Payments' copy of an order, built from orders' events in version order (never from the orders collection)."""

    meta = {"collection": "payments_orders"}
    id = me.StringField(primary_key=True)
    status = me.StringField(required=True)
    amount = me.IntField(required=True, min_value=0)  # minor units of `currency`
    currency = me.StringField(required=True)
    user_id = me.StringField(required=True)
    expires_at = me.DateTimeField()
    correlation_id = me.StringField(null=True)  # the purchase's chain: its payment continues it
    version = me.IntField(required=True, min_value=0)
    # The ticket's dated event (None: a ticket without one) as the order told it when it was placed; the replica of
    # events (PaymentEvent) wins once it knows the event, since an organiser may change it later.
    event_id = me.StringField(null=True)
    event_name = me.StringField(null=True)
    event_venue = me.StringField(null=True)
    event_city = me.StringField(null=True)
    event_starts_at = me.DateTimeField(null=True)
    event_utc_offset = me.IntField(null=True)  # None when the order's event did not tell it

    @property
    def payable(self):
        """Return whether this order may still take money."""
        return self.status in PAYABLE_STATUSES


class PaymentEvent(Document):
    """Payments' copy of a dated event, built from the tickets' events in version order: what the payment page says
    of the show being paid for."""

    meta = {"collection": "payments_events"}
    id = me.StringField(primary_key=True)
    name = me.StringField(required=True)
    venue = me.StringField(required=True)
    city = me.StringField(required=True)
    starts_at = me.DateTimeField(required=True)
    utc_offset = me.IntField(required=True, default=0)
    version = me.IntField(required=True, min_value=0)


class Payment(VersionedDocument):
    """One attempt to pay for an order, with its own state: pending, succeeded or failed.

    `holds_slot` is True while the attempt is in flight or succeeded; a unique partial index on (order_id) over
    holds_slot=True is what lets only one attempt per order reach Stripe at a time, and only one succeed.
    """

    meta = {"collection": "payments_payments"}
    order_id = me.StringField(required=True)
    user_id = me.StringField(required=True)
    amount = me.IntField(required=True, min_value=0)
    currency = me.StringField(required=True)
    status = me.StringField(required=True, choices=("pending", "succeeded", "failed"), default="pending")
    holds_slot = me.BooleanField()
    stripe_id = me.StringField()
    failure_message = me.StringField()
    created_at = me.DateTimeField(required=True, default=utcnow)
    finished_at = me.DateTimeField()
    checked_at = me.DateTimeField()  # when the sweep last asked Stripe about this attempt

    def to_json(self, client_secret=None):
        """Return the payment as the API shows it (amount in integer minor units)."""
        data = {"id": str(self.id), "orderId": self.order_id, "userId": self.user_id, "stripeId": self.stripe_id,
                "amount": self.amount, "currency": self.currency, "status": self.status}
        if client_secret:
            data["clientSecret"] = client_secret
        return data


class Refund(VersionedDocument):
    """One refund of a payment through Stripe, with its own state: pending, succeeded or failed."""

    meta = {"collection": "payments_refunds"}
    payment_id = me.StringField(required=True)  # unique: a payment is refunded in full, once
    order_id = me.StringField(required=True)
    amount = me.IntField(required=True, min_value=0)
    currency = me.StringField(required=True)
    reason = me.StringField(required=True)
    status = me.StringField(required=True, choices=("pending", "succeeded", "failed"), default="pending")
    stripe_refund_id = me.StringField()
    failure_message = me.StringField()
    created_at = me.DateTimeField(required=True, default=utcnow)
    finished_at = me.DateTimeField()
    # Who may call Stripe for this refund right now (one executor at a time), and when it was last queued.
    lease_until = me.DateTimeField()
    enqueued_at = me.DateTimeField()
    attempts = me.IntField(required=True, default=0)

    def to_json(self):
        """Return the refund as the API and the page show it."""
        return {"id": str(self.id), "paymentId": self.payment_id, "orderId": self.order_id, "amount": self.amount,
                "currency": self.currency, "status": self.status, "stripeRefundId": self.stripe_refund_id}


class WebhookEvent(Document):
    """A Stripe event id we have handled; its unique id makes a repeated delivery harmless."""

    meta = {"collection": "payments_webhook_events"}
    id = me.StringField(primary_key=True)
    type = me.StringField(required=True)
    object_id = me.StringField()  # the Stripe object the event was about (pi_…), for looking back
    received_at = me.DateTimeField(required=True, default=utcnow)
