"""The relay: hands committed outbox events to the event transport, once per event, in commit order."""

import logging
from datetime import timedelta

from flask import current_app

from .documents import OutboxEvent, utcnow
from .queue import task

log = logging.getLogger(__name__)


def _outbox():
    return current_app.extensions["mongo"].db[OutboxEvent._get_collection_name()]


def request_relay(event_ids):
    """Ask a worker to relay these just-committed events now (a hint: the sweep relays anything missed)."""
    relay_task(event_ids)


@task()
def relay_task(event_ids):
    """Relay the given events (a Huey task: ids in, call the platform)."""
    relay_events(event_ids)


def relay_events(event_ids):
    """Relay the given outbox events that are still pending; return how many were relayed."""
    return _relay({"_id": {"$in": list(event_ids)}, "relayed": False})


def relay_pending(older_than_seconds=0.0, limit=500):
    """Relay pending outbox events committed at least `older_than_seconds` ago; return how many."""
    query = {"relayed": False}
    if older_than_seconds:
        query["created_at"] = {"$lte": utcnow() - timedelta(seconds=older_than_seconds)}
    return _relay(query, limit)


def _relay(query, limit=0):
    transport = current_app.extensions["event_transport"]
    count = 0
    for doc in _outbox().find(query, sort=[("created_at", 1), ("version", 1)], limit=limit):
        # Publish first, then mark: a crash in between publishes again, and the consumers drop the duplicate.
        transport.publish(doc["payload"])
        _outbox().update_one({"_id": doc["_id"]}, {"$set": {"relayed": True, "relayed_at": utcnow()}})
        count += 1
    return count


def outbox_status():
    """Return counts of pending, delivered and dead work and the age in seconds of the oldest pending item."""
    db = current_app.extensions["mongo"].db
    deliveries = db["platform_deliveries"]
    now = utcnow()
    oldest = [d["created_at"] for d in (
        _outbox().find_one({"relayed": False}, sort=[("created_at", 1)]),
        deliveries.find_one({"status": "pending"}, sort=[("created_at", 1)]),
    ) if d]
    return {
        "unrelayed_events": _outbox().count_documents({"relayed": False}),
        "pending": deliveries.count_documents({"status": "pending"}),
        "delivered": deliveries.count_documents({"status": "done"}),
        "dead": deliveries.count_documents({"status": "dead"}),
        "oldest_pending_age_seconds": round((now - min(oldest)).total_seconds(), 1) if oldest else None,
        "dead_deliveries": [
            {"id": d["_id"], "attempts": d["attempts"], "last_error": d.get("last_error")}
            for d in deliveries.find({"status": "dead"}, limit=20)
        ],
    }
