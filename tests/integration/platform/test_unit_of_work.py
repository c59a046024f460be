"""The unit of work: concurrent transactions all land, stale writes are refused, a stuck database answers 503 fast."""

import threading
import time

import pymongo
import pytest

from app.platform import uow
from app.platform.errors import DatabaseBusyError, StaleWriteError
from tests.integration.platform import ledger


class Counter(ledger.Document):
    meta = {"collection": "test_counters"}
    value = ledger.me.IntField(default=0)
    version = ledger.me.IntField(default=0)


@uow.transactional
def _bump(counter_id):
    work = uow.current()
    counter = work.get(Counter, id=counter_id)
    work.update(counter, value=counter.value + 1)


def test_concurrent_transactions_all_commit(app, db):
    with app.app_context():
        counter_id = uow.run_in_transaction(lambda: uow.current().insert(Counter()).pk)
    errors = []

    def bump():
        try:
            with app.app_context():
                _bump(counter_id)
        except Exception as exc:  # collected: the assertion below names any failure
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    doc = db.test_counters.find_one({"_id": counter_id})
    assert doc["value"] == 20 and doc["version"] == 20


def test_a_write_based_on_a_stale_version_is_refused(app, db):
    with app.app_context():
        counter_id = uow.run_in_transaction(lambda: uow.current().insert(Counter(value=5)).pk)
        stale = Counter.objects.get(id=counter_id)
        _bump(counter_id)

        @uow.transactional
        def overwrite():
            uow.current().update(stale, value=100)

        with pytest.raises(StaleWriteError):
            overwrite()
    assert db.test_counters.find_one({"_id": counter_id})["value"] == 6


def test_a_database_held_by_another_transaction_fails_fast_with_503(app, db, mongodb_uri):
    app.config["TRANSACTION_DEADLINE_SECONDS"] = 0.5
    other = pymongo.MongoClient(mongodb_uri)
    session = other.start_session()
    session.start_transaction()
    other.get_default_database().test_hold.insert_one({"held": True}, session=session)
    try:
        with app.app_context():
            started = time.monotonic()
            with pytest.raises(DatabaseBusyError) as caught:
                ledger.record_entry()
            elapsed = time.monotonic() - started
        assert caught.value.status_code == 503
        assert elapsed < 2.0
    finally:
        session.abort_transaction()
        session.end_session()
        other.close()
    assert db.test_entries.count_documents({}) == 0
