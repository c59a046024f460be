"""With a real Huey consumer: lost relay hints and a worker killed mid-delivery lose nothing and apply nothing twice."""

import redis

from app.platform.queue import huey
from tests.integration.platform import ledger
from tests.servers import wait_until


def _applied(db):
    doc = db.test_ledger.find_one({"_id": "ledger"})
    return doc or {"applied": 0, "events": []}


def test_commit_whose_relay_hint_was_never_enqueued_is_delivered_by_the_sweep(ledger_app, db, ledger_worker):
    # Redis refuses the hint (nothing listens on that port): the commit stands and the hint is lost for real.
    real_storage = huey.storage
    from huey.storage import RedisStorage

    huey.storage = RedisStorage(huey.name, connection_pool=redis.ConnectionPool(port=1, socket_connect_timeout=0.2))
    try:
        with ledger_app.app_context():
            ids = [ledger.record_entry() for _ in range(5)]
    finally:
        huey.storage = real_storage
    assert db.platform_outbox.count_documents({"relayed": False}) == 5
    ledger_worker("count_effect")
    wait_until(lambda: _applied(db)["applied"] >= 5, timeout=20, message="the sweep to relay the lost events")
    assert sorted(_applied(db)["events"]) == sorted(ids)
    assert db.platform_outbox.count_documents({"relayed": False}) == 0


def test_worker_killed_mid_delivery_loses_nothing_and_applies_each_event_once(ledger_app, db, ledger_worker):
    first = ledger_worker("count_effect")
    with ledger_app.app_context():
        ids = [ledger.record_entry(sleep=0.15) for _ in range(30)]
    # Kill the consumer in the middle of the work (some applied, some in an open transaction, some not relayed yet).
    wait_until(lambda: _applied(db)["applied"] >= 5, timeout=20, message="some deliveries to be applied")
    first.kill()
    in_flight = (db.platform_deliveries.count_documents({"status": "pending"})
                 + db.platform_outbox.count_documents({"relayed": False}))
    assert in_flight > 0, "the kill came too late to interrupt anything"
    ledger_worker("count_effect")
    # Done when nothing is owed any more: every event relayed, no delivery pending (the relay records none for what
    # it applies at once).
    wait_until(lambda: db.platform_outbox.count_documents({"relayed": False}) == 0
               and db.platform_deliveries.count_documents({"status": "pending"}) == 0
               and _applied(db)["applied"] >= 30, timeout=40, message="every delivery to finish after the restart")
    ledger_doc = _applied(db)
    assert ledger_doc["applied"] == 30
    assert sorted(ledger_doc["events"]) == sorted(ids)  # every event once: none lost, none twice
    assert db.platform_inbox.count_documents({}) == 30


def test_out_of_order_versions_are_applied_in_order(ledger_app, db, ledger_worker):
    ledger_worker("apply_replica")
    with ledger_app.app_context():
        # Commit the newest versions first: the handler must wait for each predecessor, never apply early.
        for version in (4, 3, 1, 2):
            ledger.record_entry(aggregate_id="agg", version=version)
        wait_until(lambda: db.platform_deliveries.count_documents({"waits": {"$gt": 0}}) >= 1, timeout=10,
                   message="early versions to be held back")
        assert db.test_order_log.count_documents({}) == 0
        ledger.record_entry(aggregate_id="agg", version=0)
    wait_until(lambda: db.test_order_log.count_documents({}) == 5, timeout=30, message="all five versions")
    applied = [doc["version"] for doc in db.test_order_log.find({}, sort=[("_id", 1)])]
    assert applied == [0, 1, 2, 3, 4]
    assert db.test_replicas.find_one({"_id": "agg"})["version"] == 4
