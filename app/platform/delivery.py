"""Deliveries: one record per (event, handler), claimed under a lease, retried with backoff, dead after N tries."""

import logging
import random
from datetime import timedelta

from flask import current_app
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from . import uow
from .documents import Delivery, InboxEntry, utcnow
from .errors import EventNotReadyError, StaleWriteError
from .events import Event
from .queue import task

log = logging.getLogger(__name__)
# Deliveries applied together in one transaction. Each event alone costs a claim, a transaction and a mark; a batch
# pays those once, so a backlog drains several times faster on a database that runs one transaction at a time.
# Small enough that one transaction stays short and far below the server's limits on `$in` lists.
BATCH_SIZE = 50
_DUPLICATE_KEY = 11000
_DONE = {"status": "done", "lease_until": None, "last_error": None}


def _deliveries():
    return current_app.extensions["mongo"].db[Delivery._get_collection_name()]


def _inbox():
    return current_app.extensions["mongo"].db[InboxEntry._get_collection_name()]


def create_deliveries(payload):
    """Record one pending delivery per subscribed handler of an event and queue them; return how many are new."""
    return _record_pending(_records([payload]))


def deliver_now(payloads):
    """Apply events to their handlers right away, in order, one per transaction; return how many deliveries.

    Each event's handlers and inbox entries commit in one transaction; the deliveries of all the events applied are
    then recorded as done in one write. If anything in an event's transaction fails (a handler error, an event that
    must wait for its predecessor, an event relayed before) nothing of it is applied: its deliveries are recorded
    pending and queued, to run with retries.
    """
    # One event per transaction: the embedded server runs one transaction at a time and queues the others in order,
    # so a longer relay transaction is waited for by every request's. Measured with `make bench`, 10 events per
    # transaction drained a backlog 25 % faster but halved the rate at which services committed meanwhile (orders
    # placed during a burst: 88 -> 31-45/s); 50 per transaction also made expiry timers late.
    count = 0
    done = []
    for payload in payloads:
        records = _records([payload])
        if not records:
            continue
        try:
            uow.run_in_transaction(_apply_all, records)
        except Exception as exc:
            log.info("delivering event %s at once failed (%s: %s); queueing its deliveries", payload["id"],
                     type(exc).__name__, exc)
            _record_pending(records)
        else:
            finished = utcnow()
            done += [record | _DONE | {"attempts": 1, "finished_at": finished} for record in records]
        count += len(records)
    _record_done(done)
    return count


def _record_done(records):
    # Outside the events' transactions, one write for all: the inbox entries already make the effects exactly-once.
    # If this process dies before it, the relay has not marked the events relayed either; relayed again, their
    # inbox entries turn them into pending records that a delivery task finds applied and marks done. A record left
    # by an earlier relay of the same event stays as it is: its queued delivery finds the inbox entry.
    _insert_new(records)


def _records(payloads):
    subscriptions = current_app.extensions["subscriptions"]
    now = utcnow()
    return [
        {"_id": f"{payload['id']}:{name}", "event_id": payload["id"], "event_type": payload["type"], "handler": name,
         "payload": payload, "status": "pending", "attempts": 0, "waits": 0,
         "next_attempt_at": now, "enqueued_at": now, "created_at": now}
        for payload in payloads for name in subscriptions.handlers_for(payload["type"])
    ]


def _record_pending(records):
    # A record that exists already was written by an earlier relay of the same event, and queued then.
    existing = _insert_new(records)
    new = [record["_id"] for record in records if record["_id"] not in existing]
    for start in range(0, len(new), BATCH_SIZE):
        deliver_batch_task(new[start:start + BATCH_SIZE])
    return len(new)


def _insert_new(records):
    """Insert the delivery records that do not exist yet, in one write; return the ids of those that did."""
    if not records:
        return set()
    try:
        _deliveries().insert_many(records, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != _DUPLICATE_KEY for error in errors):
            raise
        return {records[error["index"]]["_id"] for error in errors}
    return set()


def _apply_all(deliveries):
    """Write these deliveries' inbox entries in one insert and run their handlers in order; return the unit of work."""
    work = uow.current()
    subscriptions = current_app.extensions["subscriptions"]
    # A redelivered event fails this insert on the inbox's unique id: the transaction rolls back, no second effect.
    now = utcnow()
    work.collection(InboxEntry).insert_many(
        [{"_id": f"{d['handler']}:{d['event_id']}", "applied_at": now} for d in deliveries], session=work.session)
    for delivery in deliveries:
        subscriptions.get(delivery["handler"])(Event.from_dict(delivery["payload"]))
    return work


@task()
def deliver_batch_task(delivery_ids):
    """Run a batch of deliveries (a Huey task: ids in, call the platform)."""
    deliver_batch(delivery_ids)


@task()
def deliver_task(delivery_id):
    """Run one delivery (a Huey task: id in, call the platform)."""
    deliver(delivery_id)


def deliver(delivery_id):
    """Claim a delivery and apply its event to its handler exactly once; return the outcome."""
    claimed = _deliveries().find_one_and_update(
        dict(_claimable(utcnow()), _id=delivery_id), _claim_update(), return_document=ReturnDocument.AFTER)
    if claimed is None:
        return "skipped"
    return _run(claimed)


def deliver_batch(delivery_ids):
    """Apply a batch of deliveries in one transaction in the given order; return {id: outcome} of those that were due.

    If anything in the batch fails (a handler error, an event that must wait for its predecessor, a redelivery, another
    worker on the same deliveries) the transaction rolls back and each delivery runs on its own, so one bad event only
    delays the others.
    """
    if len(delivery_ids) == 1:
        return {delivery_ids[0]: deliver(delivery_ids[0])}
    position = {delivery_id: i for i, delivery_id in enumerate(delivery_ids)}
    due = sorted(_deliveries().find(dict(_claimable(utcnow()), _id={"$in": list(delivery_ids)})),
                 key=lambda doc: position[doc["_id"]])
    if not due:
        return {}
    try:
        uow.run_in_transaction(_apply_batch, due)
    except Exception as exc:
        log.info("a batch of %s deliveries rolled back (%s: %s); running them one at a time",
                 len(due), type(exc).__name__, exc)
        return {doc["_id"]: deliver(doc["_id"]) for doc in due}
    return dict.fromkeys((doc["_id"] for doc in due), "done")


def _claimable(now):
    # Only a pending delivery that is due and not leased by a live worker; a vanished worker's lease expires.
    return {"status": "pending", "next_attempt_at": {"$lte": now + timedelta(seconds=1)},
            "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


def _claim_update():
    until = utcnow() + timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])
    return {"$set": {"lease_until": until}, "$inc": {"attempts": 1}}


def _run(claimed):
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
    _finish(claimed["_id"], _DONE | {"finished_at": utcnow()})
    return "done"


def _apply(handler, name, event):
    work = uow.current()
    key = f"{name}:{event.id}"
    # No read first: a redelivery fails this insert on the inbox's unique id, the transaction rolls back with no
    # second effect, and deliver() sees the entry and marks the delivery done. One round trip fewer per event.
    work.collection(InboxEntry).insert_one({"_id": key, "applied_at": utcnow()}, session=work.session)
    handler(event)


def _apply_batch(due):
    work = _apply_all(due)
    # Marked done in the same transaction as the effects, so a batch needs no lease (one write fewer per event):
    # if another worker finished one of them meanwhile, this batch rolls back and leaves that worker's result.
    ids = [doc["_id"] for doc in due]
    done = {"$set": _DONE | {"finished_at": utcnow()}, "$inc": {"attempts": 1}}
    marked = work.collection(Delivery).update_many({"_id": {"$in": ids}, "status": "pending"}, done,
                                                   session=work.session)
    if marked.modified_count != len(ids):
        raise StaleWriteError()


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
    stalled = [doc["_id"] for doc in _deliveries().find(
        dict(_claimable(now), enqueued_at={"$lte": cutoff}), projection={"_id": 1}, sort=[("created_at", 1)],
        limit=limit,
    )]
    _queue(stalled, now)
    return len(stalled)


def retry(dead=False):
    """Queue pending deliveries now; with dead=True revive dead ones first. Return how many were queued."""
    now = utcnow()
    if dead:
        _deliveries().update_many({"status": "dead"}, {"$set": {
            "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_until": None, "finished_at": None}})
    pending = [doc["_id"] for doc in _deliveries().find({"status": "pending"}, projection={"_id": 1},
                                                        sort=[("created_at", 1)])]
    _queue(pending, now, due=True)
    return len(pending)


def _queue(delivery_ids, now, due=False):
    # In creation order and in batches, as the relay queues them; one write per batch records that they were queued.
    fields = {"enqueued_at": now, **({"next_attempt_at": now} if due else {})}
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        batch = delivery_ids[start:start + BATCH_SIZE]
        _deliveries().update_many({"_id": {"$in": batch}}, {"$set": fields})
        deliver_batch_task(batch)
