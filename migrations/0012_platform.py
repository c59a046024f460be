"""The relay's, the sweeps' and retention's reads in index order (their sorts end in `_id`, so no two plans differ).

Each index keeps its name and gains the keys its query sorts by:
- `pending_by_age` {relayed, created_at, version, _id}: the relay's unrelayed events, oldest first, and retention's
  "is an old event still unrelayed" (documents.OUTBOX_OLDEST_FIRST);
- `relayed_by_age` {relayed, relayed_at, _id}: retention's relayed events, oldest first;
- `by_age` {status, created_at, _id}: due, stalled and retried deliveries, oldest first
  (documents.DELIVERIES_OLDEST_FIRST);
- `done_by_age` {status, finished_at, _id}: retention's done deliveries, oldest first;
- `by_applied_at` {applied_at, _id}: retention's inbox entries, oldest first.
A real MongoDB then reads each from its index with no in-memory sort; the embedded server reads each in index order
instead of evaluating it over the whole collection (app/platform/embedded/ordered.py).
"""

from pymongo import ASCENDING

from migrations.runner import replace_index

CONTEXT = "platform"


def upgrade(db):
    """Give the relay's, the sweeps' and retention's indexes the keys of their sorts."""
    replace_index(db.platform_outbox, [("relayed", ASCENDING), ("created_at", ASCENDING), ("version", ASCENDING),
                                       ("_id", ASCENDING)], "pending_by_age")
    replace_index(db.platform_outbox, [("relayed", ASCENDING), ("relayed_at", ASCENDING), ("_id", ASCENDING)],
                  "relayed_by_age")
    replace_index(db.platform_deliveries, [("status", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)],
                  "by_age")
    replace_index(db.platform_deliveries, [("status", ASCENDING), ("finished_at", ASCENDING), ("_id", ASCENDING)],
                  "done_by_age")
    replace_index(db.platform_inbox, [("applied_at", ASCENDING), ("_id", ASCENDING)], "by_applied_at")
