"""Indexes of the payments context."""

from pymongo import ASCENDING, DESCENDING

CONTEXT = "payments"


def upgrade(db):
    """Create the one-slot-per-order guard, refund uniqueness and the lookups the services use."""
    # At most one attempt per order may be in flight or succeeded: the database, not Python, refuses a second one.
    db.payments_payments.create_index([("order_id", ASCENDING)], name="one_slot_per_order", unique=True,
                                      partialFilterExpression={"holds_slot": True})
    db.payments_payments.create_index([("order_id", ASCENDING), ("created_at", DESCENDING)], name="by_order")
    db.payments_payments.create_index([("stripe_id", ASCENDING)], name="by_stripe_id")
    db.payments_payments.create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status_age")
    # A payment is refunded in full, once.
    db.payments_refunds.create_index([("payment_id", ASCENDING)], name="one_refund_per_payment", unique=True)
    db.payments_refunds.create_index([("order_id", ASCENDING)], name="by_order")
    db.payments_refunds.create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status_age")
    # Stripe retries a webhook for up to three days; a month of seen event ids is plenty (the _id is unique).
    db.payments_webhook_events.create_index("received_at", name="expire_seen", expireAfterSeconds=30 * 24 * 3600)
