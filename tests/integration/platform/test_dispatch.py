"""Dispatch: the relay applies each handler's events at once in that handler's own transaction; what fails is queued
and applied as a batch per handler, then one at a time; one bad event or handler costs no other."""

import logging
import threading

import pytest

from app.platform.delivery import CHUNK, create_deliveries, deliver_batch
from app.platform.dispatcher import version_ordered
from app.platform.relay import relay_pending
from app.platform.replicas import apply_in_order
from tests.integration.platform import ledger
from tests.servers import drain
from tests.writes import counting_writes

REPLICA = "tests.integration.platform.ledger.apply_replica"
COUNT = "tests.integration.platform.ledger.count_effect"
POISON = "tests.integration.platform.ledger.poison"


def _committed(app, db, versions, aggregate_id="agg"):
    """Commit one event per version, drop the relay hints, and create their deliveries; return the events' ids."""
    huey = app.extensions["huey"]
    ids = [ledger.record_entry(aggregate_id=aggregate_id, version=v) for v in versions]
    huey.storage.flush_queue()  # the test hands the deliveries over itself
    payloads = {d["_id"]: d["payload"] for d in db.platform_outbox.find({"_id": {"$in": ids}})}
    for event_id in ids:
        create_deliveries(payloads[event_id])
    huey.storage.flush_queue()
    return ids


def _run_scheduled(app):
    """Run queued and scheduled tasks now, as if their delay had passed."""
    huey = app.extensions["huey"]
    for _ in range(20):
        drain(app)
        due = huey.scheduled()
        huey.storage.flush_schedule()
        if not due:
            return
        for task in due:
            huey.execute(task, timestamp=task.eta)


@version_ordered
def replica_only(event):
    """Apply the event to the test replica in version order and nothing else (no inbox entry needed)."""
    apply_in_order(ledger.Replica, event.aggregate_id, event.version, {})


def test_a_batch_applies_each_handlers_share_in_one_transaction(ledger_app, db, caplog):
    ledger.subscribe(ledger_app, ledger.apply_replica, ledger.count_effect)
    caplog.set_level(logging.INFO, logger="app.platform.delivery")
    with ledger_app.app_context():
        ids = _committed(ledger_app, db, range(10))
        batch = [f"{i}:{h}" for i in ids for h in (REPLICA, COUNT)]
        outcomes = deliver_batch(batch)
    assert outcomes == dict.fromkeys(batch, "done")
    assert "rolled back" not in caplog.text  # it went through as one batch, not one at a time
    assert [d["version"] for d in db.test_order_log.find(sort=[("_id", 1)])] == list(range(10))
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 10
    assert db.platform_deliveries.count_documents({"_id": {"$in": batch}, "status": "done", "attempts": 1}) == 20


def test_an_event_ahead_of_its_predecessor_rolls_the_batch_back_and_waits_without_losing_an_attempt(ledger_app, db,
                                                                                                  caplog):
    ledger.subscribe(ledger_app, ledger.apply_replica)
    caplog.set_level(logging.INFO, logger="app.platform.delivery")
    with ledger_app.app_context():
        first, second = _committed(ledger_app, db, [0, 1])
        # Version 1 handed over before version 0 (as a sweep may find them).
        outcomes = deliver_batch([f"{second}:{REPLICA}", f"{first}:{REPLICA}"])
        assert outcomes == {f"{second}:{REPLICA}": "waiting", f"{first}:{REPLICA}": "done"}
        assert "rolled back" in caplog.text
        _run_scheduled(ledger_app)
    assert [d["version"] for d in db.test_order_log.find(sort=[("_id", 1)])] == [0, 1]
    waited = db.platform_deliveries.find_one({"_id": f"{second}:{REPLICA}"})
    assert (waited["status"], waited["attempts"], waited["waits"]) == ("done", 1, 1)


def test_a_failing_handler_in_a_batch_fails_alone(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.poison, ledger.count_effect)
    db.test_switches.insert_one({"_id": "poison", "on": True})
    with ledger_app.app_context():
        ids = _committed(ledger_app, db, [0], aggregate_id="a") + _committed(ledger_app, db, [0], aggregate_id="b")
        batch = [f"{i}:{h}" for i in ids for h in (POISON, COUNT)]
        outcomes = deliver_batch(batch)
    assert outcomes == {f"{ids[0]}:{POISON}": "retrying", f"{ids[0]}:{COUNT}": "done",
                        f"{ids[1]}:{POISON}": "retrying", f"{ids[1]}:{COUNT}": "done"}
    assert sorted(db.test_ledger.find_one({"_id": "ledger"})["events"]) == sorted(ids)
    failed = db.platform_deliveries.find_one({"_id": f"{ids[0]}:{POISON}"})
    assert failed["status"] == "pending" and "poisoned on purpose" in failed["last_error"]
    assert db.test_poison_applied.count_documents({}) == 0


def test_a_redelivered_event_in_a_batch_has_no_second_effect(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.count_effect)
    with ledger_app.app_context():
        ids = _committed(ledger_app, db, [0, 1, 2])
        batch = [f"{i}:{COUNT}" for i in ids]
        assert deliver_batch(batch[:1]) == {batch[0]: "done"}
        # As after a worker crashed between applying and marking: the applied one is pending again.
        db.platform_deliveries.update_one({"_id": batch[0]}, {"$set": {"status": "pending", "lease_until": None}})
        outcomes = deliver_batch(batch)
    assert outcomes == dict.fromkeys(batch, "done")
    entry = db.test_ledger.find_one({"_id": "ledger"})
    assert entry["applied"] == 3 and sorted(entry["events"]) == sorted(ids)


def test_two_workers_given_the_same_batch_apply_each_event_once(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.count_effect)
    with ledger_app.app_context():
        ids = _committed(ledger_app, db, range(20))
    batch = [f"{i}:{COUNT}" for i in ids]
    results = []
    start = threading.Barrier(2)

    def work():
        with ledger_app.app_context():
            start.wait()
            results.append(deliver_batch(batch))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done = [delivery for outcome in results for delivery, result in outcome.items() if result == "done"]
    assert sorted(done) == sorted(batch)  # every delivery done by exactly one of them
    entry = db.test_ledger.find_one({"_id": "ledger"})
    assert entry["applied"] == 20 and sorted(entry["events"]) == sorted(ids)


def test_a_relay_pass_applies_each_event_at_once_and_writes_no_delivery_record(ledger_app, db, caplog):
    ledger.subscribe(ledger_app, ledger.apply_replica, ledger.count_effect)
    caplog.set_level(logging.INFO, logger="app.platform.delivery")
    huey = ledger_app.extensions["huey"]
    with ledger_app.app_context():
        ids = [ledger.record_entry(aggregate_id="agg", version=v) for v in range(10)]
        huey.storage.flush_queue()  # one relay pass below stands for the hints
        assert relay_pending() == 10
        assert huey.pending_count() == 0  # nothing left to queue: every delivery happened in the pass
    assert "failed" not in caplog.text
    assert [d["version"] for d in db.test_order_log.find(sort=[("_id", 1)])] == list(range(10))
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 10
    # Nothing is owed, so nothing records a delivery: the inbox entries and the relayed mark say it all.
    assert db.platform_deliveries.count_documents({"event_id": {"$in": ids}}) == 0
    assert db.platform_inbox.count_documents({}) == 20


def test_a_failing_handler_neither_rolls_back_nor_delays_another_handler_of_the_same_event(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.poison, ledger.count_effect)
    db.test_switches.insert_one({"_id": "poison", "on": True})
    huey = ledger_app.extensions["huey"]
    with ledger_app.app_context():
        ids = [ledger.record_entry(aggregate_id=a) for a in ("a", "b")]
        huey.storage.flush_queue()
        relay_pending()
        # The healthy handler applied both events in the relay pass itself, before any queued task ran.
        assert sorted(db.test_ledger.find_one({"_id": "ledger"})["events"]) == sorted(ids)
        assert db.platform_inbox.count_documents({"_id": {"$regex": "count_effect"}}) == 2
        # Only the failing handler's deliveries are owed, and queued.
        assert db.platform_deliveries.count_documents({"status": "pending"}) == 2
        assert db.platform_deliveries.count_documents({"handler": COUNT}) == 0
        assert huey.pending_count() > 0
        drain(ledger_app)
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 2
    assert db.platform_deliveries.count_documents({"handler": POISON, "status": "pending", "attempts": 1}) == 2
    assert db.test_poison_applied.count_documents({}) == 0


def _count_relay_writes(app, monkeypatch, handler, events=40):
    ledger.subscribe(app, handler)
    huey = app.extensions["huey"]
    with app.app_context():
        for v in range(events):
            ledger.record_entry(aggregate_id="agg", version=v)
        huey.storage.flush_queue()
        with counting_writes(app, monkeypatch) as listener:
            assert relay_pending() == events
    return listener


def test_writes_per_delivered_event_on_the_fast_path_are_the_effect_alone(ledger_app, db, monkeypatch):
    events = 40
    listener = _count_relay_writes(ledger_app, monkeypatch, replica_only, events)
    assert db.test_replicas.find_one({"_id": "agg"})["version"] == events - 1
    # A version-ordered handler: one write per event (its effect), plus one relayed mark per 50 events.
    assert listener.writes() == events + 1
    # Several events of one handler per transaction, and the relayed mark of the pass in one of its own.
    assert listener.counts["commitTransaction"] == events // CHUNK + 1
    assert db.platform_inbox.count_documents({}) == 0 and db.platform_deliveries.count_documents({}) == 0


def test_a_handler_that_needs_an_inbox_costs_one_insert_per_transaction_more(ledger_app, db, monkeypatch):
    events = 40
    listener = _count_relay_writes(ledger_app, monkeypatch, ledger.count_effect, events)
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == events
    assert listener.writes() == events + events // CHUNK + 1
    assert db.platform_inbox.count_documents({}) == events


def test_an_event_relayed_again_is_not_applied_again(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.count_effect)
    huey = ledger_app.extensions["huey"]
    with ledger_app.app_context():
        event_id = ledger.record_entry()
        huey.storage.flush_queue()
        relay_pending()
        # As after a relay that crashed before marking the event relayed: the sweep relays it again.
        db.platform_outbox.update_one({"_id": event_id}, {"$set": {"relayed": False}})
        assert relay_pending() == 1
        drain(ledger_app)
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 1
    assert db.platform_deliveries.count_documents({"event_id": event_id}) == 0  # nothing was owed


def test_a_hint_that_arrives_while_the_sweep_relays_is_served_when_the_sweep_ends(ledger_app, db, monkeypatch):
    from app.platform.relay import relay_events

    ledger.subscribe(ledger_app, ledger.count_effect)
    huey = ledger_app.extensions["huey"]
    transport = ledger_app.extensions["dispatcher"].transport
    publish_many = transport.publish_many
    late = []

    def publish_and_commit_another(payloads):
        publish_many(payloads)
        if not late:
            # A service commits during the sweep's pass; its hint finds the relay busy and leaves the work to it.
            late.append(ledger.record_entry(aggregate_id="late"))
            huey.storage.flush_queue()
            assert relay_events(late) == 0

    monkeypatch.setattr(transport, "publish_many", publish_and_commit_another)
    with ledger_app.app_context():
        first = ledger.record_entry(aggregate_id="first")
        huey.storage.flush_queue()
        assert relay_pending() == 2  # its own event, then the late one: not left for the next sweep
    assert db.platform_outbox.count_documents({"_id": {"$in": [first, *late]}, "relayed": True}) == 2
    assert sorted(db.test_ledger.find_one({"_id": "ledger"})["events"]) == sorted([first, *late])


def test_a_relay_that_dies_after_applying_but_before_marking_ends_with_each_effect_once(ledger_app, db, monkeypatch):
    from app.platform import relay

    ledger.subscribe(ledger_app, ledger.count_effect, replica_only)
    huey = ledger_app.extensions["huey"]

    def die(event_ids):
        raise SystemExit("the worker died here")

    with ledger_app.app_context():
        ids = [ledger.record_entry(aggregate_id=f"a{i}") for i in range(3)]
        huey.storage.flush_queue()
        with monkeypatch.context() as patch:
            patch.setattr(relay, "_mark_relayed", die)
            with pytest.raises(SystemExit):
                relay_pending()
        # Applied, but not marked relayed: the sweep relays the events again.
        assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 3
        assert relay_pending() == 3
        drain(ledger_app)
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 3
    assert [r["version"] for r in db.test_replicas.find({"_id": {"$in": ["a0", "a1", "a2"]}})] == [0, 0, 0]
    assert db.platform_deliveries.count_documents({"event_id": {"$in": ids}}) == 0  # nothing was owed
    assert db.platform_outbox.count_documents({"_id": {"$in": ids}, "relayed": True}) == 3


def test_an_event_that_cannot_apply_yet_costs_the_other_events_of_its_relay_pass_nothing(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.apply_replica)
    huey = ledger_app.extensions["huey"]
    with ledger_app.app_context():
        # "b" is at version 1 while its version 0 was never committed: it must wait; "a" and "c" need not.
        ids = [ledger.record_entry(aggregate_id=a, version=v) for a, v in (("a", 0), ("b", 1), ("c", 0))]
        huey.storage.flush_queue()
        relay_pending()
    assert sorted(d["aggregate"] for d in db.test_order_log.find()) == ["a", "c"]
    assert db.platform_deliveries.find_one({"event_id": ids[1]})["status"] == "pending"
    assert db.platform_deliveries.count_documents({"event_id": {"$in": [ids[0], ids[2]]}}) == 0
