"""Deliveries: each event applied once to each subscribed handler, in that handler's own transaction.

Fast path (`deliver_now`, called by the transport as the relay hands events over): each handler's events of the pass
are applied at once, several per transaction, and nothing is written but their effects and, for handlers that need
one, their inbox entries. Handlers never share a transaction, so one context's failure neither rolls back nor delays
another's, exactly as when the contexts run as separate services.

Whatever fails there becomes a pending delivery record, one per (event, handler), and is queued: a Huey task applies a
handler's queued deliveries as a batch in one transaction, and where that fails one at a time under a lease, with
exponential backoff; after DELIVERY_MAX_ATTEMPTS it is dead (`flask outbox status`, `flask outbox retry --dead`).
"""

import logging
import random
from datetime import timedelta

from flask import current_app
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from . import metrics, uow
from .dispatcher import dispatcher
from .documents import DELIVERIES_OLDEST_FIRST, Delivery, InboxEntry, as_utc, utcnow
from .errors import EventNotReadyError, StaleWriteError
from .events import Event, caused_by
from .queue import task

log = logging.getLogger(__name__)
# Events of one handler applied per fast-path transaction. On a database that runs one transaction at a time every
# request waits for the relay's transaction ahead of it, so a relay transaction is kept short.
CHUNK = 10
# Queued deliveries handed to one task; a task applies each handler's share of them in one transaction.
BATCH_SIZE = 50
_DUPLICATE_KEY = 11000


def _deliveries():
    return current_app.extensions["mongo"].db[Delivery._get_collection_name()]


def _inbox():
    return current_app.extensions["mongo"].db[InboxEntry._get_collection_name()]


def inbox_key(name, event_id):
    """Return the inbox id that proves handler `name` applied event `event_id`."""
    return f"{name}:{event_id}"


def apply(name, payloads, delivery_ids=(), claimed=False):
    """Apply events to one handler in the open unit of work, in order, and record their queued deliveries done.

    The one way an event reaches a handler: the fast path, a queued batch and a retried delivery all call it. A
    redelivered event fails the inbox insert on its unique id (or, for a version-ordered handler, changes nothing),
    so it never has a second effect.
    """
    work = uow.current()
    events = dispatcher()
    if events.needs_inbox(name):
        now = utcnow()
        entries = [{"_id": inbox_key(name, payload["id"]), "applied_at": now} for payload in payloads]
        try:
            work.collection(InboxEntry).insert_many(entries, session=work.session)
        except BulkWriteError as exc:
            if any(error.get("code") != _DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise
            raise DuplicateKeyError("an event was applied to this handler before", _DUPLICATE_KEY) from exc
    handler = events.handler(name)
    for payload in payloads:
        event = Event.from_dict(payload)
        with caused_by(event):
            handler(event)
            log.debug("applied %s to %s", event.type, name)
        lag = (utcnow() - as_utc(event.occurred_at)).total_seconds()
        metrics.observe_after_commit(metrics.delivery_lag, max(lag, 0.0), handler=name)
    if delivery_ids:
        _mark_done(delivery_ids, work, claimed)


def _mark_done(delivery_ids, work=None, claimed=True):
    # Only records still pending: if another worker finished one meanwhile, a transaction rolls back and leaves that
    # worker's result. A claim counted its attempt already; a batch takes no claim and counts it here.
    session = None if work is None else work.session
    update = {"$set": {"status": "done", "lease_until": None, "last_error": None, "finished_at": utcnow()}}
    if not claimed:
        update["$inc"] = {"attempts": 1}
    marked = _deliveries().update_many({"_id": {"$in": list(delivery_ids)}, "status": "pending"}, update,
                                       session=session)
    if work is not None and marked.modified_count != len(delivery_ids):
        raise StaleWriteError()


def deliver_now(payloads, context=None):
    """Apply events to their handlers (of one context, if given) at once; queue what fails; return how many."""
    events = dispatcher()
    by_handler = {}
    for payload in payloads:
        for name in events.handlers_for(payload["type"], context):
            by_handler.setdefault(name, []).append(payload)
    failed = []
    for name, handled in by_handler.items():
        failed += _apply_at_once(name, handled)
    _record_pending(failed)
    return sum(len(handled) for handled in by_handler.values())


def _apply_at_once(name, payloads):
    """Apply one handler's events in short transactions, one at a time where a chunk fails; return what failed."""
    failed = []
    for start in range(0, len(payloads), CHUNK):
        chunk = payloads[start:start + CHUNK]
        if len(chunk) > 1 and _try(name, chunk) is None:
            continue
        for payload in chunk:
            error = _try(name, [payload])
            if error is not None:
                log.info("delivering %s to %s at once failed (%s); queueing it", payload["id"], name, error)
                failed.append(_record(name, payload))
    return failed


def _try(name, payloads):
    try:
        uow.run_in_transaction(apply, name, payloads)
    except DuplicateKeyError as exc:
        if len(payloads) == 1 and _applied(name, payloads[0]["id"]):
            return None  # relayed again after it was applied: nothing is owed
        return _failed(name, exc)
    except EventNotReadyError as exc:
        return f"{type(exc).__name__}: {exc}"  # waiting for its predecessor is no failure
    except Exception as exc:
        return _failed(name, exc)
    return None


def _failed(name, exc):
    metrics.handler_failures.labels(name).inc()
    return f"{type(exc).__name__}: {exc}"


def _applied(name, event_id):
    return _inbox().find_one({"_id": inbox_key(name, event_id)}, {"_id": 1}) is not None


def _record(name, payload):
    now = utcnow()
    return {"_id": f"{payload['id']}:{name}", "event_id": payload["id"], "event_type": payload["type"],
            "handler": name, "payload": payload, "status": "pending", "attempts": 0, "waits": 0,
            "next_attempt_at": now, "enqueued_at": now, "created_at": now}


def create_deliveries(payload, context=None):
    """Record one pending delivery per subscribed handler (of one context, if given) and queue them; return how many
    are new."""
    names = dispatcher().handlers_for(payload["type"], context)
    return _record_pending([_record(name, payload) for name in names])


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
    """Apply queued deliveries, each handler's share in one transaction in the given order; return {id: outcome}.

    If anything in a handler's share fails (a handler error, an event that must wait for its predecessor, a
    redelivery, another worker on the same deliveries) that transaction rolls back and its deliveries run one at a
    time, so one bad event only delays its own handler's others, and never another handler's.
    """
    if len(delivery_ids) == 1:
        return {delivery_ids[0]: deliver(delivery_ids[0])}
    position = {delivery_id: i for i, delivery_id in enumerate(delivery_ids)}
    due = sorted(_deliveries().find(dict(_claimable(utcnow()), _id={"$in": list(delivery_ids)})),
                 key=lambda doc: position[doc["_id"]])
    by_handler = {}
    for doc in due:
        by_handler.setdefault(doc["handler"], []).append(doc)
    outcomes = {}
    for name, docs in by_handler.items():
        ids = [doc["_id"] for doc in docs]
        try:
            uow.run_in_transaction(apply, name, [doc["payload"] for doc in docs], ids)
        except Exception as exc:
            log.info("a batch of %s deliveries to %s rolled back (%s: %s); running them one at a time",
                     len(docs), name, type(exc).__name__, exc)
            outcomes.update({delivery_id: deliver(delivery_id) for delivery_id in ids})
        else:
            outcomes.update(dict.fromkeys(ids, "done"))
    return outcomes


def due_ids(limit=500):
    """Return the ids of pending deliveries that are due and not leased, oldest first."""
    return [doc["_id"] for doc in _deliveries().find(_claimable(utcnow()), {"_id": 1}, sort=DELIVERIES_OLDEST_FIRST,
                                                     limit=limit)]


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
        uow.run_in_transaction(apply, name, [claimed["payload"]], [claimed["_id"]], claimed=True)
    except EventNotReadyError:
        return _wait(claimed)
    except DuplicateKeyError as exc:
        if not _applied(name, claimed["event_id"]):
            return _fail(claimed, exc)
        _mark_done([claimed["_id"]])  # applied before (a crash between applying and recording it)
    except Exception as exc:
        return _fail(claimed, exc)
    return "done"


def _wait(claimed):
    # Not a failure: the predecessor version has not been applied yet. Try again soon, without using up an attempt.
    delay = min(0.1 * 2 ** min(claimed.get("waits", 0), 6), 5.0)
    when = utcnow() + timedelta(seconds=delay)
    _finish(claimed["_id"], {"lease_until": None, "next_attempt_at": when, "enqueued_at": when},
            inc={"attempts": -1, "waits": 1})
    deliver_task.schedule(args=(claimed["_id"],), delay=delay)
    return "waiting"


def _fail(claimed, exc):
    metrics.handler_failures.labels(claimed["handler"]).inc()
    config = current_app.config
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if claimed["attempts"] >= config["DELIVERY_MAX_ATTEMPTS"]:
        log.error("delivery %s is dead after %s attempts: %s", claimed["_id"], claimed["attempts"], error)
        _finish(claimed["_id"], {"status": "dead", "lease_until": None, "last_error": error, "died_at": utcnow()})
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
        dict(_claimable(now), enqueued_at={"$lte": cutoff}), projection={"_id": 1}, sort=DELIVERIES_OLDEST_FIRST,
        limit=limit,
    )]
    _queue(stalled, now)
    return len(stalled)


def retry(dead=False):
    """Queue pending deliveries now; with dead=True revive dead ones first. Return how many were queued."""
    now = utcnow()
    if dead:
        _deliveries().update_many({"status": "dead"}, {"$set": {
            "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_until": None, "died_at": None}})
    pending = [doc["_id"] for doc in _deliveries().find({"status": "pending"}, projection={"_id": 1},
                                                        sort=DELIVERIES_OLDEST_FIRST)]
    _queue(pending, now, due=True)
    return len(pending)


def _queue(delivery_ids, now, due=False):
    # In creation order and in batches, as the relay queues them; one write per batch records that they were queued.
    fields = {"enqueued_at": now, **({"next_attempt_at": now} if due else {})}
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        batch = delivery_ids[start:start + BATCH_SIZE]
        _deliveries().update_many({"_id": {"$in": batch}}, {"$set": fields})
        deliver_batch_task(batch)
