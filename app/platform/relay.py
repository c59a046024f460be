"""The relay: hands committed outbox events to the event transport, once per event, in commit order."""

import logging
from datetime import timedelta

from flask import current_app

from . import uow
from .dispatcher import dispatcher
from .documents import DELIVERIES_OLDEST_FIRST, OUTBOX_OLDEST_FIRST, Delivery, OutboxEvent, utcnow
from .mongo import count
from .queue import task

log = logging.getLogger(__name__)
# Hints arrive one per commit. One relay pass serves every hint that came in while it ran, so a burst of commits
# costs a few passes over the outbox instead of one per commit (the database, not Python, is what runs out first).
_PASS_LIMIT = 200
_MARK_BATCH = 50


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
    """Relay the given outbox events, and every other pending one in commit order; return how many were relayed."""
    events = dispatcher()
    if events.relayed_lately(event_ids):
        return 0
    events.hinted.set()
    return _serve_hints()


def relay_pending(older_than_seconds=0.0, limit=500):
    """Relay pending outbox events committed at least `older_than_seconds` ago; return how many."""
    query = {"relayed": False}
    if older_than_seconds:
        query["created_at"] = {"$lte": utcnow() - timedelta(seconds=older_than_seconds)}
    relaying = dispatcher().relay_lock
    if not relaying.acquire(blocking=False):
        # A hinted pass in this process is relaying right now, and it relays everything pending: a second pass
        # beside it would only race it for the same events.
        return 0
    try:
        count = _relay(query, limit)
    finally:
        relaying.release()
    # Hints that arrived during this pass left their work to it (the lock was taken): serve them now, not at the
    # next sweep. Without this a backlog drained at the sweep's pace whenever the sweep won the lock.
    return count + _serve_hints()


def _serve_hints():
    # Whoever holds the lock relays until no hint is left, and checks again after letting go: a hint that found the
    # lock taken returned at once, trusting the holder to see it.
    events = dispatcher()
    hinted, relaying = events.hinted, events.relay_lock
    count = 0
    while hinted.is_set():
        if not relaying.acquire(blocking=False):
            return count  # the pass running in this process will see the hint
        try:
            while hinted.is_set():
                hinted.clear()
                relayed = _relay({"relayed": False}, _PASS_LIMIT)
                count += relayed
                if relayed == _PASS_LIMIT:
                    hinted.set()  # more than one pass is owed
        finally:
            relaying.release()
    return count


def _relay(query, limit=0):
    transport = dispatcher().transport
    count = 0
    batch = []
    for doc in _outbox().find(query, sort=OUTBOX_OLDEST_FIRST, limit=limit):
        batch.append(doc)
        if len(batch) >= _MARK_BATCH:
            count += _publish(transport, batch)
            batch = []
    if batch:
        count += _publish(transport, batch)
    return count


def _publish(transport, docs):
    # Publish first, then mark: a crash in between publishes again, and the consumers drop the duplicate.
    transport.publish_many([doc["payload"] for doc in docs])
    _mark_relayed([doc["_id"] for doc in docs])
    return len(docs)


def _mark_relayed(event_ids):
    # One write for a batch instead of one per event, in a transaction of its own: the batch is marked as one, and on
    # the embedded server its documents share one commit instead of one each.
    uow.run_in_transaction(_mark, event_ids)
    dispatcher().remember_relayed(event_ids)


def _mark(event_ids):
    work = uow.current()
    work.collection(OutboxEvent).update_many({"_id": {"$in": event_ids}},
                                             {"$set": {"relayed": True, "relayed_at": utcnow()}},
                                             session=work.session)


def outbox_status():
    """Return counts of pending, delivered and dead work and the age in seconds of the oldest pending item."""
    db = current_app.extensions["mongo"].db
    deliveries = db[Delivery._get_collection_name()]
    now = utcnow()
    oldest = [d["created_at"] for d in (
        _outbox().find_one({"relayed": False}, sort=OUTBOX_OLDEST_FIRST),
        deliveries.find_one({"status": "pending"}, sort=DELIVERIES_OLDEST_FIRST),
    ) if d]
    return {
        "unrelayed_events": count(_outbox(), {"relayed": False}),
        "pending": count(deliveries, {"status": "pending"}),
        "delivered": count(deliveries, {"status": "done"}),
        "dead": count(deliveries, {"status": "dead"}),
        "oldest_pending_age_seconds": round((now - min(oldest)).total_seconds(), 1) if oldest else None,
        "dead_deliveries": [
            {"id": d["_id"], "attempts": d["attempts"], "last_error": d.get("last_error")}
            for d in deliveries.find({"status": "dead"}, sort=DELIVERIES_OLDEST_FIRST, limit=20)
        ],
    }
