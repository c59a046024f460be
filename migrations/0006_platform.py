"""Indexes for bounded history: the sweep deletes relayed events, done deliveries and old inbox entries by age.

On a real MongoDB each purge query uses one of these: `relayed_by_age` ({relayed: true, relayed_at <= t}),
`done_by_age` ({status: "done", finished_at <= t}) and `by_applied_at` ({applied_at <= t}).
"""

from pymongo import ASCENDING

CONTEXT = "platform"


def upgrade(db):
    """Create the indexes the retention sweep's queries use."""
    db.platform_outbox.create_index([("relayed", ASCENDING), ("relayed_at", ASCENDING)], name="relayed_by_age")
    db.platform_deliveries.create_index([("status", ASCENDING), ("finished_at", ASCENDING)], name="done_by_age")
    db.platform_inbox.create_index("applied_at", name="by_applied_at")
