"""Deliveries: one record per (event, handler), claimed under a lease, retried with backoff, dead after N tries."""

import logging
import random
from datetime import timedelta

from flask import current_app
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from . import uow
from .documents import Delivery, InboxEntry, utcnow
from .errors import EventNotReadyError
from .events import Event
from .queue import task

log = logging.getLogger(__name__)


def _deliveries():
    return current_app.extensions["mongo"].db[Delivery._get_collection_name()]


def _inbox():
    return current_app.extensions["mongo"].db[InboxEntry._get_collection_name()]


def create_deliveries(payload):
    """Record one pending delivery per subscribed handler of an event and queue them; return how many are new."""
    subscriptions = current_app.extensions["subscriptions"]
    now = utcnow()
    created = 0
    for name in subscriptions.handlers_for(payload["type"]):
        delivery_id = f"{payload['id']}:{name}"
        try:
            _deliveries().insert_one({
                "_id": delivery_id, "event_id": payload["id"], "event_type": payload["type"], "handler": name,
                "payload": payload, "status": "pending", "attempts": 0, "waits": 0,
                "next_attempt_at": now, "enqueued_at": now, "created_at": now,
            })
        except DuplicateKeyError:
            continue  # relayed before (a retried relay): the first record stands
        created += 1
        deliver_task(delivery_id)
    return created


@task()
def deliver_task(delivery_id):
    """Run one delivery (a Huey task: id in, call the platform)."""
    deliver(delivery_id)


def deliver(delivery_id):
    """Claim a delivery and apply its event to its handler exactly once; return the outcome."""
    config = current_app.config
    now = utcnow()
    # Claim: only a pending delivery that is due and not leased by a live worker; a vanished worker's lease expires.
    claimed = _deliveries().find_one_and_update(
        {"_id": delivery_id, "status": "pending", "next_attempt_at": {"$lte": now + timedelta(seconds=1)},
         "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {"$set": {"lease_until": now + timedelta(seconds=config["DELIVERY_LEASE_SECONDS"])}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if claimed is None:
        return "skipped"
    name = claimed["handler"]
    try:
        handler = current_app.extensions["subscriptions"].get(name)
        event = Event.from_dict(claimed["payload"])
        uow.run_in_transaction(_apply, handler, name, event)
    except EventNotReadyError:
        return _wait(claimed)
    except DuplicateKeyError as exc:
        if _inbox().find_one({"_id": f"{name}:{claimed['event_id']}"}) is None:
            return _fail(claimed, exc)
    except Exception as exc:
        return _fail(claimed, exc)
    _finish(delivery_id, {"status": "done", "finished_at": utcnow(), "lease_until": None, "last_error": None})
    return "done"


def _apply(handler, name, event):
    work = uow.current()
    key = f"{name}:{event.id}"
    # No read first: a redelivery fails this insert on the inbox's unique id, the transaction rolls back with no
    # second effect, and deliver() sees the entry and marks the delivery done. One round trip fewer per event.
    work.collection(InboxEntry).insert_one({"_id": key, "applied_at": utcnow()}, session=work.session)
    handler(event)


def _wait(claimed):
    # Not a failure: the predecessor version has not been applied yet. Try again soon, without using up an attempt.
    delay = min(0.1 * 2 ** min(claimed.get("waits", 0), 6), 5.0)
    when = utcnow() + timedelta(seconds=delay)
    _finish(claimed["_id"], {"lease_until": None, "next_attempt_at": when, "enqueued_at": when},
            inc={"attempts": -1, "waits": 1})
    deliver_task.schedule(args=(claimed["_id"],), delay=delay)
    return "waiting"


def _fail(claimed, exc):
    config = current_app.config
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if claimed["attempts"] >= config["DELIVERY_MAX_ATTEMPTS"]:
        log.error("delivery %s is dead after %s attempts: %s", claimed["_id"], claimed["attempts"], error)
        _finish(claimed["_id"], {"status": "dead", "lease_until": None, "last_error": error, "finished_at": utcnow()})
        return "dead"
    base = config["DELIVERY_BACKOFF_SECONDS"] * 2 ** (claimed["attempts"] - 1)
    delay = base * random.uniform(0.8, 1.2)
    when = utcnow() + timedelta(seconds=delay)
    log.warning("delivery %s failed (attempt %s), retrying in %.1fs: %s", claimed["_id"], claimed["attempts"],
                delay, error)
    _finish(claimed["_id"], {"lease_until": None, "last_error": error, "next_attempt_at": when, "enqueued_at": when})
    deliver_task.schedule(args=(claimed["_id"],), delay=delay)
    return "retrying"


def _finish(delivery_id, fields, inc=None):
    update = {"$set": fields}
    if inc:
        update["$inc"] = inc
    _deliveries().update_one({"_id": delivery_id}, update)


def requeue_stalled(grace_seconds, limit=500):
    """Queue again every due delivery that no live worker holds and nobody queued recently; return how many."""
    now = utcnow()
    cutoff = now - timedelta(seconds=grace_seconds)
    stalled = _deliveries().find(
        {"status": "pending", "next_attempt_at": {"$lte": now}, "enqueued_at": {"$lte": cutoff},
         "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        projection={"_id": 1}, limit=limit,
    )
    count = 0
    for doc in stalled:
        _deliveries().update_one({"_id": doc["_id"]}, {"$set": {"enqueued_at": now}})
        deliver_task(doc["_id"])
        count += 1
    return count


def retry(dead=False):
    """Queue pending deliveries now; with dead=True revive dead ones first. Return how many were queued."""
    now = utcnow()
    if dead:
        _deliveries().update_many({"status": "dead"}, {"$set": {
            "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_until": None, "finished_at": None}})
    count = 0
    for doc in _deliveries().find({"status": "pending"}, projection={"_id": 1}):
        _deliveries().update_one({"_id": doc["_id"]}, {"$set": {"next_attempt_at": now, "enqueued_at": now}})
        deliver_task(doc["_id"])
        count += 1
    return count
