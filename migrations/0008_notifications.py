"""Indexes of the notifications context, among them the one that makes a redelivered event send no second email."""

from pymongo import ASCENDING, DESCENDING

CONTEXT = "notifications"
SENT_RETENTION_SECONDS = 30 * 24 * 3600


def upgrade(db):
    """Create the one-email-per-(event, recipient, kind) index and the indexes of the sender, sweep and status."""
    # THE invariant: one email per (event, recipient, kind). A handler's write is an upsert on this key, so a
    # redelivered event finds its email already there and queues nothing.
    db.notifications_emails.create_index([("key", ASCENDING)], name="one_email_per_event_recipient_kind", unique=True)
    # The sweep (pending and due) and `flask mail retry` (pending, dead).
    db.notifications_emails.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="owed")
    # `flask mail status`: counts by status, dead ones newest first.
    db.notifications_emails.create_index([("status", ASCENDING), ("created_at", DESCENDING)], name="by_status_newest")
    # Sent emails hold personal data and are not needed once delivered: kept a month, long after any redelivery.
    db.notifications_emails.create_index("sent_at", name="expire_sent", expireAfterSeconds=SENT_RETENTION_SECONDS)
