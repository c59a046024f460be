"""Indexes for bounded history and for following an event chain.

On a real MongoDB each purge query uses one of these: `relayed_by_age` ({relayed: true, relayed_at <= t}),
`done_by_age` ({status: "done", finished_at <= t}) and `by_applied_at` ({applied_at <= t}); `flask events trace`
uses `by_aggregate`, `by_ticket`, `by_order` and `by_correlation`.
"""

from pymongo import ASCENDING

CONTEXT = "platform"


def upgrade(db):
    """Create the indexes the retention sweep's queries use."""
    db.platform_outbox.create_index([("relayed", ASCENDING), ("relayed_at", ASCENDING)], name="relayed_by_age")
    db.platform_deliveries.create_index([("status", ASCENDING), ("finished_at", ASCENDING)], name="done_by_age")
    db.platform_inbox.create_index("applied_at", name="by_applied_at")
    db.platform_outbox.create_index("aggregate_id", name="by_aggregate")
    db.platform_outbox.create_index("payload.ticket_id", name="by_ticket", sparse=True)
    db.platform_outbox.create_index("payload.order_id", name="by_order", sparse=True)
    db.platform_outbox.create_index("payload.correlation_id", name="by_correlation", sparse=True)
