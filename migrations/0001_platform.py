"""Indexes of the platform's outbox, deliveries and inbox."""

from pymongo import ASCENDING

CONTEXT = "platform"


def upgrade(db):
    """Create the indexes the relay, the sweep and `flask outbox status` rely on."""
    db.platform_outbox.create_index([("relayed", ASCENDING), ("created_at", ASCENDING)], name="pending_by_age")
    db.platform_deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due")
    db.platform_deliveries.create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="by_age")
    # Finished deliveries are history; the inbox (kept forever) is what guarantees no second effect.
    db.platform_deliveries.create_index("finished_at", name="expire_done", expireAfterSeconds=7 * 24 * 3600,
                                        partialFilterExpression={"status": "done"})
