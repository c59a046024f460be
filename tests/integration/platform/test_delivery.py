"""Deliveries: one per (event, handler), no second effect on redelivery, dead after N failures, retryable."""

import json

from app.platform.delivery import create_deliveries, deliver
from app.platform.relay import relay_pending
from tests.integration.platform import ledger
from tests.servers import drain


def _ledger(db):
    return db.test_ledger.find_one({"_id": "ledger"}) or {"applied": 0, "events": []}


def test_relay_applies_an_event_once_to_each_handler(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.count_effect, ledger.poison)
    with ledger_app.app_context():
        event_id = ledger.record_entry()
        drain(ledger_app)
        relay_pending()  # a second relay of the same event changes nothing
        drain(ledger_app)
    assert db.platform_inbox.count_documents({"_id": {"$regex": event_id}}) == 2
    assert db.test_poison_applied.count_documents({"event": event_id}) == 1
    assert _ledger(db)["applied"] == 1
    assert db.platform_outbox.find_one({"_id": event_id})["relayed"] is True


def test_duplicate_delivery_of_one_event_has_one_effect(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.count_effect)
    with ledger_app.app_context():
        event_id = ledger.record_entry()
        drain(ledger_app)
        payload = db.platform_outbox.find_one({"_id": event_id})["payload"]
        delivery_id = f"{event_id}:tests.integration.platform.ledger.count_effect"
        # Handed over again, as after a crash between applying and recording: a pending delivery for the applied
        # event, run by a worker, and the transport handing the event over once more.
        assert create_deliveries(payload) == 1
        assert deliver(delivery_id) == "done"
        assert create_deliveries(payload) == 0
        drain(ledger_app)
    assert _ledger(db) ["applied"] == 1
    assert _ledger(db)["events"] == [event_id]


def test_poison_event_goes_dead_is_visible_and_retry_delivers_it_once_fixed(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.poison, ledger.count_effect)
    ledger_app.config["DELIVERY_MAX_ATTEMPTS"] = 3
    ledger_app.config["DELIVERY_BACKOFF_SECONDS"] = 0.0
    db.test_switches.insert_one({"_id": "poison", "on": True})
    runner = ledger_app.test_cli_runner()
    with ledger_app.app_context():
        bad = ledger.record_entry(aggregate_id="a")
        good = ledger.record_entry(aggregate_id="b")
        for _ in range(10):
            drain(ledger_app)
            for task in ledger_app.extensions["huey"].scheduled():
                ledger_app.extensions["huey"].execute(task)
            ledger_app.extensions["huey"].storage.flush_schedule()
        poisoned = db.platform_deliveries.find_one({"event_id": bad, "handler": {"$regex": "poison$"}})
        assert poisoned["status"] == "dead"
        assert poisoned["attempts"] == 3
        assert "poisoned on purpose" in poisoned["last_error"]
        # One poison event never blocks the others: the healthy handler applied both events.
        assert sorted(_ledger(db)["events"]) == sorted([bad, good])

        status = json.loads(runner.invoke(args=["outbox", "status", "--json"]).output)
        assert status["dead"] == 2  # the poison handler failed for both events
        text = runner.invoke(args=["outbox", "status"]).output
        assert "dead: 2" in text and "poisoned on purpose" in text

        db.test_switches.update_one({"_id": "poison"}, {"$set": {"on": False}})
        result = runner.invoke(args=["outbox", "retry", "--dead"])
        assert "queued 2 deliveries" in result.output
        drain(ledger_app)
    assert db.test_poison_applied.count_documents({}) == 2
    assert db.platform_deliveries.count_documents({"status": "dead"}) == 0
    assert json.loads(runner.invoke(args=["outbox", "status", "--json"]).output)["pending"] == 0
