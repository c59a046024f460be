"""The payments sweeps' reads in index order: `by_status_age` {status, created_at, _id} of payments (stale pending
attempts) and of refunds (stalled ones), oldest first (their sorts end in `_id`, so the embedded server reads the
index instead of every payment or refund ever made)."""

from pymongo import ASCENDING

from migrations.runner import replace_index

CONTEXT = "payments"


def upgrade(db):
    """Give the payments sweeps' indexes the keys of their sorts."""
    for collection in (db.payments_payments, db.payments_refunds):
        replace_index(collection, [("status", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)],
                      "by_status_age")
