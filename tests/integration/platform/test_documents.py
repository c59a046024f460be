"""The platform's Documents describe exactly what the event path writes: every stored field is declared and valid."""

from app.platform.delivery import deliver
from app.platform.dispatcher import handler_name
from app.platform.documents import Delivery, InboxEntry, OutboxEvent
from app.platform.nats_transport import NatsTransport
from app.platform.relay import relay_pending
from tests.integration.platform import ledger
from tests.servers import drain


def _load_all(db, document_class):
    raws = list(db[document_class._get_collection_name()].find())
    for raw in raws:
        # _from_son refuses a field the class does not declare; validate() a value of the wrong kind.
        document_class._from_son(raw).validate()
    return raws


def test_every_record_of_the_event_path_loads_and_validates_as_its_document(ledger_app, db):
    ledger.subscribe(ledger_app, ledger.poison, ledger.count_effect)
    ledger_app.config["DELIVERY_MAX_ATTEMPTS"] = 1
    db.test_switches.insert_one({"_id": "poison", "on": True})
    with ledger_app.app_context():
        dead = ledger.record_entry(aggregate_id="dead")
        drain(ledger_app)  # the poison delivery dies at its first attempt
        ledger_app.config["DELIVERY_MAX_ATTEMPTS"] = 5
        db.test_switches.update_one({"_id": "poison"}, {"$set": {"on": False}})
        pending = ledger.record_entry(aggregate_id="pending")
        relay_pending()  # applied at once: no record
        db.test_switches.update_one({"_id": "poison"}, {"$set": {"on": True}})
        failing = ledger.record_entry(aggregate_id="failing")
        ledger_app.extensions["huey"].storage.flush_queue()
        relay_pending()  # the poison handler fails: a pending record, queued
        db.test_switches.update_one({"_id": "poison"}, {"$set": {"on": False}})
        assert deliver(f"{failing}:{handler_name(ledger.poison)}") == "done"
        NatsTransport(ledger_app).record_dead("orders", "x.y.v1", b"not json", 7, 5, ValueError("bad"))
    deliveries = {d["status"] for d in _load_all(db, Delivery)}
    assert deliveries == {"dead", "done"}
    assert len(_load_all(db, OutboxEvent)) == 3 and all(e["relayed"] for e in _load_all(db, OutboxEvent))
    assert len(_load_all(db, InboxEntry)) == 5  # count_effect x3, poison for `pending` and `failing`
    assert {dead, pending, failing} == {e["_id"] for e in _load_all(db, OutboxEvent)}
