"""SIGKILL the Huey consumer in the middle of a burst of relayed events: nothing lost, nothing applied twice."""

from concurrent.futures import ThreadPoolExecutor

from tests.integration.platform import ledger
from tests.servers import wait_until

BURST = 120


def _ledger(db):
    return db.test_ledger.find_one({"_id": "ledger"}) or {"applied": 0, "events": []}


def test_consumer_killed_during_a_burst_and_restarted_delivers_every_event_exactly_once(ledger_app, db,
                                                                                       ledger_worker):
    first = ledger_worker("count_effect")

    def commit(i):
        with ledger_app.app_context():
            return ledger.record_entry(aggregate_id=f"burst-{i}", sleep=0.02)

    # Four committers at once, as web requests would: relay hints and deliveries interleave in the queue.
    with ThreadPoolExecutor(4) as pool:
        committing = [pool.submit(commit, i) for i in range(BURST)]
        wait_until(lambda: _ledger(db)["applied"] >= 10, timeout=30, message="the burst to be half-way delivered")
        first.kill()  # SIGKILL: leased deliveries and queued tasks die with it
        ids = [f.result() for f in committing]
    owed = BURST - _ledger(db)["applied"]
    assert owed > 0, "the kill came too late to interrupt anything"
    ledger_worker("count_effect")
    # Done when nothing is owed any more (the relay records no delivery for what it applies at once).
    wait_until(lambda: db.platform_outbox.count_documents({"relayed": False}) == 0
               and db.platform_deliveries.count_documents({"status": "pending"}) == 0
               and _ledger(db)["applied"] >= BURST, timeout=60, message="every delivery to finish after the restart")
    applied = _ledger(db)
    assert sorted(applied["events"]) == sorted(ids)  # every event id exactly once: none lost, none twice
    assert applied["applied"] == BURST
    assert db.test_entries.count_documents({}) == BURST
    assert db.platform_inbox.count_documents({}) == BURST
    assert db.platform_outbox.count_documents({"relayed": False}) == 0
    assert db.platform_deliveries.count_documents({"status": {"$ne": "done"}}) == 0
