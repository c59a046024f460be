"""A state change and its event commit together or not at all."""

import pytest

from app.platform.errors import NoUnitOfWorkError
from app.platform.events import emit
from tests.integration.platform import ledger


def test_change_and_event_commit_together(ledger_app, db):
    with ledger_app.app_context():
        event_id = ledger.record_entry(amount=7)
    assert db.test_entries.count_documents({"amount": 7}) == 1
    stored = db.platform_outbox.find_one({"_id": event_id})
    assert stored["type"] == "test.entry_recorded.v1"
    assert stored["payload"]["amount"] == 7
    assert stored["relayed"] is False


def test_failure_before_commit_leaves_neither_change_nor_event(ledger_app, db):
    with ledger_app.app_context(), pytest.raises(RuntimeError, match="between the write and the commit"):
        ledger.record_entry(amount=9, fail_after_emit=True)
    assert db.test_entries.count_documents({}) == 0
    assert db.platform_outbox.count_documents({}) == 0


def test_emitting_without_a_unit_of_work_is_an_error(ledger_app, db):
    with ledger_app.app_context(), pytest.raises(NoUnitOfWorkError):
        emit(ledger.EntryRecorded(aggregate_id="x", version=0))
    assert db.platform_outbox.count_documents({}) == 0
