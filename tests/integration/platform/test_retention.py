"""Bounded history: the sweep deletes relayed events, done deliveries and old inbox entries, and nothing still owed."""

from datetime import timedelta

from app.platform.delivery import create_deliveries
from app.platform.documents import utcnow
from app.platform.relay import relay_pending
from app.platform.retention import inbox_retention_seconds, purge_history, redelivery_horizon
from app.platform.sweeper import sweep
from tests.integration.platform import ledger
from tests.servers import drain

LONG_AGO = timedelta(days=30)


def _history(db, now):
    """Write one document of every kind the event path leaves behind, old unless named young."""
    old = now - LONG_AGO
    db.platform_outbox.insert_many([
        {"_id": "relayed", "relayed": True, "relayed_at": old, "created_at": old},
        {"_id": "relayed-young", "relayed": True, "relayed_at": now, "created_at": now},
        {"_id": "unrelayed", "relayed": False, "created_at": now},
    ])
    common = {"event_type": "test.entry_recorded.v1", "handler": "h", "payload": {}, "attempts": 1, "waits": 0,
              "next_attempt_at": old, "enqueued_at": old, "created_at": old}
    db.platform_deliveries.insert_many([
        # An hour, not a month: the 7-day TTL index on done deliveries would have taken it already.
        {"_id": "done", "event_id": "e1", "status": "done", "finished_at": now - timedelta(hours=1), **common},
        {"_id": "pending", "event_id": "e2", "status": "pending", **common},
        {"_id": "dead", "event_id": "e3", "status": "dead", "died_at": old, **common},
    ])
    db.platform_inbox.insert_many([
        {"_id": "h:old", "applied_at": old},
        {"_id": "h:young", "applied_at": now - timedelta(seconds=5)},
    ])


def _ids(collection):
    return sorted(doc["_id"] for doc in collection.find({}, {"_id": 1}))


def test_retention_zero_deletes_only_what_nobody_is_owed(app, db):
    app.config["EVENT_RETENTION_SECONDS"] = 0
    now = utcnow()
    _history(db, now)
    with app.app_context():
        deleted = purge_history(now)
    assert deleted == {"outbox": 2, "deliveries": 1, "inbox": 1}
    assert _ids(db.platform_outbox) == ["unrelayed"]
    assert _ids(db.platform_deliveries) == ["dead", "pending"]
    # An inbox entry outlives every possible redelivery, whatever the setting says.
    assert _ids(db.platform_inbox) == ["h:young"]


def test_the_inbox_is_kept_at_least_as_long_as_any_redelivery_can_arrive(app):
    config = dict(app.config, EVENT_RETENTION_SECONDS=0)
    horizon = redelivery_horizon(config)
    assert horizon >= config["DELIVERY_LEASE_SECONDS"] + config["SWEEP_INTERVAL_SECONDS"]
    assert horizon >= 600  # the NATS stream's duplicate window
    assert inbox_retention_seconds(config) == horizon
    assert inbox_retention_seconds(dict(config, EVENT_RETENTION_SECONDS=horizon * 10)) == horizon * 10


def test_an_old_unrelayed_event_keeps_every_inbox_entry_until_it_is_relayed(app, db):
    app.config["EVENT_RETENTION_SECONDS"] = 0
    now = utcnow()
    _history(db, now)
    # Committed long ago and never marked relayed: it may have been applied already, its relay dying before the mark.
    db.platform_outbox.update_one({"_id": "unrelayed"}, {"$set": {"created_at": now - LONG_AGO}})
    with app.app_context():
        assert purge_history(now)["inbox"] == 0
    assert "h:old" in _ids(db.platform_inbox)


def test_history_goes_in_bounded_batches(app, db):
    app.config["EVENT_RETENTION_SECONDS"] = 0
    old = utcnow() - LONG_AGO
    db.platform_outbox.insert_many([{"_id": f"e{i}", "relayed": True, "relayed_at": old, "created_at": old}
                                    for i in range(5)])
    with app.app_context():
        assert purge_history(batch=2)["outbox"] == 2
        assert purge_history(batch=2)["outbox"] == 2
        assert purge_history(batch=2)["outbox"] == 1
    assert db.platform_outbox.count_documents({}) == 0


def test_the_default_retention_keeps_a_week(app, db):
    assert app.config["EVENT_RETENTION_SECONDS"] == 7 * 24 * 3600
    now = utcnow()
    db.platform_outbox.insert_one({"_id": "six-days", "relayed": True, "relayed_at": now - timedelta(days=6),
                                   "created_at": now - timedelta(days=6)})
    with app.app_context():
        assert purge_history(now)["outbox"] == 0


def test_the_sweep_deletes_expired_history(ledger_app, db):
    ledger_app.config["EVENT_RETENTION_SECONDS"] = 0
    ledger.subscribe(ledger_app, ledger.count_effect)
    with ledger_app.app_context():
        event_id = ledger.record_entry()
        drain(ledger_app)
        assert db.platform_outbox.find_one({"_id": event_id})["relayed"] is True
        sweep()
    assert db.platform_outbox.count_documents({"_id": event_id}) == 0
    assert db.platform_inbox.count_documents({}) == 1  # young: kept


def test_a_redelivery_within_the_retention_window_has_no_second_effect(ledger_app, db):
    ledger_app.config["EVENT_RETENTION_SECONDS"] = 0
    ledger.subscribe(ledger_app, ledger.count_effect)
    with ledger_app.app_context():
        event_id = ledger.record_entry()
        drain(ledger_app)
        payload = db.platform_outbox.find_one({"_id": event_id})["payload"]
        sweep()  # the event itself is gone from the outbox; its inbox entry is not
        assert create_deliveries(payload) == 1  # handed over once more, as NATS or a dead relay would
        drain(ledger_app)
        relay_pending()
    assert db.test_ledger.find_one({"_id": "ledger"})["applied"] == 1
    assert db.platform_deliveries.find_one({"event_id": event_id})["status"] == "done"


def test_dead_deliveries_are_purged_only_by_hand(app, db):
    app.config["EVENT_RETENTION_SECONDS"] = 0
    now = utcnow()
    _history(db, now)
    runner = app.test_cli_runner()
    with app.app_context():
        purge_history(now)
        assert "dead" in _ids(db.platform_deliveries)
        refused = runner.invoke(args=["outbox", "purge", "--older-than", "1"])
        assert refused.exit_code != 0 and "--dead" in refused.output
        assert "deleted 0 dead deliveries" in runner.invoke(args=["outbox", "purge", "--dead", "--older-than",
                                                                  "31"]).output
        assert "deleted 1 dead deliveries" in runner.invoke(args=["outbox", "purge", "--dead", "--older-than",
                                                                  "29"]).output
    assert _ids(db.platform_deliveries) == ["pending"]
