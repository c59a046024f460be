"""The sweeps, the relay's backlog and retention read their indexes in order on the embedded server, never a whole
collection.

Each runs every few seconds for as long as the store runs, over collections that keep every email, order, payment and
refund ever made (and the event history retention keeps): a query the embedded server evaluated over the whole
collection made each sweep cost O(sales), and the growth benchmark's throughput stepped down as those collections grew.
The witness is SQLite: every statement reading `documents` while a sweep runs is explained (EXPLAIN QUERY PLAN), and
none may read all of a collection's documents. Each sweep also has to do its job on the same data.
"""

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import activate, create_app
from app.notifications.models import Email
from app.orders.models import Order, TicketSnapshot
from app.payments.models import Payment, Refund
from migrations.runner import upgrade
from tests.integration.platform.embedded_support import (
    forget_cached_collections,
    served_in_thread,
    traced_engine_class,
    vm_steps,
)

HISTORY = 300  # finished documents per collection: what a sweep must not read


@pytest.fixture
def swept(tmp_path, base_env, app):
    """Yield (private app, its database, the traced statements, the SQLite file) over a store with a long history."""
    path, statements = tmp_path / "mongo.sqlite", []
    with served_in_thread(None, engine=traced_engine_class(statements)(str(path))) as (_, uri):
        forget_cached_collections()
        private = create_app(dict(base_env) | {"MONGODB_URI": uri, "TESTING": True,
                                               "HUEY_NAME": f"ticketing-sweeps-{uuid.uuid4().hex[:8]}"})
        db = private.extensions["mongo"].db
        try:
            with private.app_context():
                upgrade(db, private.config["CONTEXTS"])
                _fill(db, datetime.now(UTC))
                yield private, db, statements, path
        finally:
            private.extensions["huey"].storage.flush_queue()
            private.extensions["mongo"].client.close()
            activate(app)
            forget_cached_collections()


def _fill(db, now):
    old = now - timedelta(hours=2)
    snapshot = TicketSnapshot(id="t", title="Row 1", price=1000, currency="USD")
    db.notifications_emails.insert_many(
        [Email(id=ObjectId(), key=f"sent-{i}", kind="order_created", user_id="u", to="a@example.com", subject="s",
               text="t", html="h", status="sent", next_attempt_at=old, created_at=old, sent_at=old).to_mongo()
         for i in range(HISTORY)]
        + [Email(id=ObjectId(), key=f"owed-{i}", kind="order_created", user_id="u", subject="s", text="t", html="h",
                 next_attempt_at=old, enqueued_at=old, created_at=old).to_mongo() for i in range(2)])
    db.orders_orders.insert_many(
        [Order(id=ObjectId(), user_id="u", status=status, expires_at=old, ticket_id=f"t{i}", ticket=snapshot,
               active=False, created_at=old).to_mongo()
         for i, status in enumerate(["complete", "cancelled"] * (HISTORY // 2))]
        + [Order(id=ObjectId(), user_id="u", status=status, expires_at=now - timedelta(seconds=5),
                 ticket_id=f"due-{status}", ticket=snapshot).to_mongo() for status in ("created", "awaiting:payment")])
    db.payments_payments.insert_many(
        [Payment(id=ObjectId(), order_id=f"o{i}", user_id="u", amount=1000, currency="USD", status="succeeded",
                 stripe_id=f"pi_{i}", created_at=old).to_mongo() for i in range(HISTORY)]
        + [Payment(id=ObjectId(), order_id="fresh", user_id="u", amount=1000, currency="USD", stripe_id="pi_fresh",
                   holds_slot=True).to_mongo()])
    db.payments_refunds.insert_many(
        [Refund(id=ObjectId(), payment_id=f"p{i}", order_id=f"o{i}", amount=1000, currency="USD", reason="r",
                status="succeeded", created_at=old).to_mongo() for i in range(HISTORY)]
        + [Refund(id=ObjectId(), payment_id="stalled", order_id="o", amount=1000, currency="USD", reason="r",
                  enqueued_at=old, created_at=old).to_mongo()])
    # Relayed events, done deliveries and inbox entries: 2 hours old (retention deletes them) and just now (kept).
    db.platform_outbox.insert_many(
        [{"_id": f"e{i}-{at:%H%M}", "type": "x.v1", "aggregate_id": f"a{i}", "version": 1, "payload": {},
          "created_at": at, "relayed": True, "relayed_at": at} for i in range(HISTORY) for at in (old, now)]
        + [{"_id": f"waiting-{i}", "type": "x.v1", "aggregate_id": "w", "version": i, "payload": {},
            "created_at": now - timedelta(seconds=i), "relayed": False, "relayed_at": None} for i in (1, 2, 3)])
    delivery = {"event_type": "x.v1", "handler": "h", "payload": {}, "attempts": 1, "waits": 0,
                "next_attempt_at": old, "enqueued_at": old, "lease_until": None, "created_at": old}
    db.platform_deliveries.insert_many(
        [delivery | {"_id": f"e{i}:{at:%H%M}", "event_id": f"e{i}", "status": "done", "finished_at": at}
         for i in range(HISTORY) for at in (old, now)]
        + [delivery | {"_id": f"owed-{i}:h", "event_id": f"owed-{i}", "status": "pending"} for i in range(2)])
    db.platform_inbox.insert_many([{"_id": f"h:e{i}:{at:%H%M}", "applied_at": at}
                                   for i in range(HISTORY) for at in (old, now)])


def _email_sweep():
    from app.notifications.services import requeue_stalled_emails

    return requeue_stalled_emails(grace_seconds=0)


def _order_sweep():
    from app.orders.services import cancel_overdue_orders

    return cancel_overdue_orders()


def _payment_sweep():
    from app.payments.services import reconcile_stale_payments

    return reconcile_stale_payments()


def _refund_sweep():
    from app.payments.refunds import requeue_stalled_refunds

    return requeue_stalled_refunds()


def _delivery_sweep():
    from app.platform.delivery import due_ids, requeue_stalled

    return requeue_stalled(grace_seconds=0), len(due_ids())


def _backlog():
    from app.platform.relay import outbox_status

    status = outbox_status()
    return status["unrelayed_events"], status["pending"], status["oldest_pending_age_seconds"] >= 1


def _retention():
    from flask import current_app

    from app.platform.retention import purge_history

    current_app.config["EVENT_RETENTION_SECONDS"] = 3600  # the old history is 2 hours old, the rest just made
    return purge_history()


SWEEPS = {
    # sweep: (the function, what it does on the first run, the collections it reads)
    "emails due again": (_email_sweep, 2, ["notifications_emails"]),
    "overdue orders": (_order_sweep, 2, ["orders_orders"]),
    "stale payments": (_payment_sweep, 0, ["payments_payments"]),  # the one pending attempt is not stale yet
    "stalled refunds": (_refund_sweep, 1, ["payments_refunds"]),
    "stalled deliveries": (_delivery_sweep, (2, 2), ["platform_deliveries"]),
    "relay backlog": (_backlog, (3, 2, True), ["platform_outbox", "platform_deliveries"]),
    "retention": (_retention, {"outbox": HISTORY, "deliveries": HISTORY, "inbox": HISTORY},  # the old ones
                  ["platform_outbox", "platform_deliveries", "platform_inbox"]),
}


def _whole_collection_reads(path, statements, collections):
    """Return (statement, plan) of each traced statement that reads every document of one of `collections`."""
    found = []
    with sqlite3.connect(path) as raw:
        for statement in (" ".join(s.split()) for s in statements):
            if "documents" not in statement or not any(f"'{c}'" in statement for c in collections):
                continue
            if not statement.startswith("SELECT"):
                continue  # a write, by key (`_id` lookups are tested in test_embedded_engine.py)
            plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}")]
            if any(line.startswith("SCAN documents") or (line.startswith("SEARCH documents")
                                                         and line.endswith("(db_name=? AND coll_name=?)"))
                   for line in plan):
                # ordered.py's checks take the smallest and largest key of an index (one seek each): the plan
                # names only the collection, the work shows it read no more.
                if "MIN(" not in statement or vm_steps(raw, statement) > 20:
                    found.append((statement[:300], plan))
    return found


@pytest.mark.parametrize("name", SWEEPS)
def test_each_sweep_does_its_work_reading_its_index_not_its_collection(swept, name):
    _, db, statements, path = swept
    sweep, done, collections = SWEEPS[name]

    assert sweep() == done
    statements.clear()
    sweep()  # a sweep runs again and again: this is the run the store repeats
    assert _whole_collection_reads(path, statements, collections) == []


def test_the_sweeps_change_only_what_they_are_for(swept):
    _, db, _, _ = swept
    _order_sweep()
    _retention()

    orders = {o["ticket_id"]: (o["status"], o.get("cancel_reason")) for o in db.orders_orders.find()}
    assert orders["due-created"] == orders["due-awaiting:payment"] == ("cancelled", "expired")
    assert sum(status == "complete" for status, _ in orders.values()) == HISTORY // 2
    # Unrelayed events and pending deliveries are owed work, and the recent history is kept: retention leaves them.
    assert db.platform_outbox.count_documents({"relayed": False, "aggregate_id": "w"}) == 3
    assert db.platform_outbox.count_documents({"relayed": True}) == HISTORY
    assert db.platform_outbox.count_documents({"relayed": True, "relayed_at": {"$gt": datetime.now(UTC) - timedelta(
        hours=1)}}) == HISTORY
    assert db.platform_deliveries.count_documents({"status": "pending"}) == 2
    assert db.platform_deliveries.count_documents({"status": "done"}) == HISTORY
    assert db.platform_inbox.count_documents({}) == HISTORY
