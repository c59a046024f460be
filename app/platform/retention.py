"""Bounded history: what the event path wrote and owes nobody any more is deleted once its retention has passed.

Relayed outbox events, done deliveries and inbox entries older than EVENT_RETENTION_SECONDS go, a bounded batch per
sweep. Unrelayed events and pending or dead deliveries are owed work and are never deleted here (dead ones only by an
operator: `flask outbox purge --dead`). An inbox entry is what makes a redelivered event harmless, so it is kept at
least as long as any redelivery can still arrive (`redelivery_horizon`), whatever the setting says.
"""

from datetime import timedelta

from flask import current_app

from .documents import OUTBOX_OLDEST_FIRST, Delivery, InboxEntry, OutboxEvent, utcnow

BATCH = 1000
# The stream's duplicate window of the NATS transport (nats_transport.DUPLICATE_WINDOW_SECONDS; not imported, so
# that retention does not load the NATS client).
_NATS_DUPLICATE_WINDOW_SECONDS = 600


def _collection(document_class):
    return current_app.extensions["mongo"].db[document_class._get_collection_name()]


def redelivery_horizon(config):
    """Return how many seconds after an event was applied it can still reach the same handler again."""
    sweep = config["SWEEP_INTERVAL_SECONDS"]
    # Every way an applied event comes back, each bounded while the workers run:
    relay = 3 * sweep  # applied, then the relay died before marking it relayed: the next sweeps relay it again
    lease = config["DELIVERY_LEASE_SECONDS"] + 3 * sweep  # a queued delivery applied by a worker that then vanished
    backoff = sum(min(config["NATS_ACK_WAIT_SECONDS"], 30.0) + config["DELIVERY_BACKOFF_SECONDS"] * 2 ** attempt
                  for attempt in range(config["NATS_MAX_DELIVER"]))  # NATS redelivers an unacknowledged message
    return max(relay, lease, backoff, _NATS_DUPLICATE_WINDOW_SECONDS)


def inbox_retention_seconds(config):
    """Return how long an inbox entry is kept: the retention setting, but never less than the redelivery horizon."""
    return max(config["EVENT_RETENTION_SECONDS"], redelivery_horizon(config))


def purge_history(now=None, batch=BATCH):
    """Delete one bounded batch of expired history from each platform collection; return {collection: deleted}."""
    now = now or utcnow()
    config = current_app.config
    cutoff = now - timedelta(seconds=config["EVENT_RETENTION_SECONDS"])
    inbox_cutoff = now - timedelta(seconds=inbox_retention_seconds(config))
    deleted = {
        "outbox": _delete(OutboxEvent, {"relayed": True, "relayed_at": {"$lte": cutoff}}, batch, "relayed_at"),
        "deliveries": _delete(Delivery, {"status": "done", "finished_at": {"$lte": cutoff}}, batch, "finished_at"),
        "inbox": 0,
    }
    # An event still waiting in this outbox since before the inbox cutoff may have been applied already (its relay
    # died before marking it): its inbox entries must wait for it to be relayed again.
    waiting = {"relayed": False, "created_at": {"$lte": inbox_cutoff}}
    if _collection(OutboxEvent).find_one(waiting, {"_id": 1}, sort=OUTBOX_OLDEST_FIRST) is None:
        deleted["inbox"] = _delete(InboxEntry, {"applied_at": {"$lte": inbox_cutoff}}, batch, "applied_at")
    return deleted


def purge_dead(older_than_seconds):
    """Delete dead deliveries given up on more than `older_than_seconds` ago; return how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return _collection(Delivery).delete_many({"status": "dead", "$or": [
        {"died_at": {"$lte": cutoff}}, {"died_at": None, "created_at": {"$lte": cutoff}}]}).deleted_count


def _delete(document_class, query, batch, age):
    # Ids first, oldest first (an index's order: migration 0012), then delete by id: a bounded amount of work per
    # sweep, whatever the backlog.
    collection = _collection(document_class)
    ids = [doc["_id"] for doc in collection.find(query, {"_id": 1}, sort=[(age, 1), ("_id", 1)], limit=batch)]
    if not ids:
        return 0
    return collection.delete_many({**query, "_id": {"$in": ids}}).deleted_count
