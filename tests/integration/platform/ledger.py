"""A test-only event and handlers that keep a ledger of every effect, to prove exactly-once delivery.

Real contexts have idempotent handlers already; this ledger counts raw applications so a double effect would show.
"""

import time
from dataclasses import dataclass

import mongoengine as me

from app.platform import uow
from app.platform.documents import Document
from app.platform.events import Event, emit
from app.platform.replicas import apply_in_order
from app.platform.uow import transactional


@dataclass(frozen=True, kw_only=True)
class EntryRecorded(Event):
    """A ledger entry was recorded (test only)."""

    type = "test.entry_recorded.v1"
    amount: int = 1
    sleep: float = 0.0


class Entry(Document):
    meta = {"collection": "test_entries"}
    amount = me.IntField()


class Replica(Document):
    meta = {"collection": "test_replicas"}
    id = me.StringField(primary_key=True)
    version = me.IntField()


@transactional
def record_entry(aggregate_id="ledger", version=0, amount=1, sleep=0.0, fail_after_emit=False):
    """Write an entry and emit its event; optionally fail before commit."""
    work = uow.current()
    work.insert(Entry(amount=amount))
    event = EntryRecorded(aggregate_id=aggregate_id, version=version, amount=amount, sleep=sleep)
    emit(event)
    if fail_after_emit:
        raise RuntimeError("failure between the write and the commit")
    return event.id


def count_effect(event):
    """Add the event to the ledger: every application counts, so a second one would show."""
    if event.sleep:
        time.sleep(event.sleep)
    work = uow.current()
    work.db["test_ledger"].update_one({"_id": "ledger"}, {"$inc": {"applied": 1}, "$push": {"events": event.id}},
                                      upsert=True, session=work.session)


def poison(event):
    """Fail while the switch says so (a handler whose cause can be fixed)."""
    work = uow.current()
    if work.db["test_switches"].find_one({"_id": "poison", "on": True}, session=work.session):
        raise RuntimeError("poisoned on purpose")
    work.db["test_poison_applied"].insert_one({"event": event.id}, session=work.session)


def apply_replica(event):
    """Apply the event to a replica in version order and log the order it was applied in."""
    work = uow.current()
    if apply_in_order(Replica, event.aggregate_id, event.version, {}):
        work.db["test_order_log"].insert_one({"aggregate": event.aggregate_id, "version": event.version},
                                            session=work.session)


def subscribe(app, *handlers):
    """Subscribe test handlers to the test event on an app."""
    for handler in handlers:
        app.extensions["dispatcher"].subscribe(EntryRecorded.type, handler)
