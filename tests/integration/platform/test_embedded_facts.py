"""Planning facts of the embedded engine survive rollbacks and failed writes, and its answers stay MongoDB's."""

import pymongo
import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from tests.integration.platform.embedded_support import facts_of, served_in_thread


@pytest.fixture
def served(tmp_path):
    """Serve a fresh database from this process; yield (engine, database)."""
    with served_in_thread(tmp_path / "mongo.sqlite") as (engine, uri):
        client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000)
        yield engine, client.ticketing
        client.close()


def _seeded(engine, db):
    """Insert plain rows and ask about `tag` so the engine records its facts about the collection; return them."""
    db.rows.create_index("code", unique=True)
    db.rows.insert_many([{"_id": i, "code": f"c{i}", "tag": "plain", "meta": {"kind": "plain"}, "n": i}
                         for i in range(200)])
    assert db.rows.count_documents({"tag": "red"}) == 0
    assert db.rows.count_documents({"meta.kind": "red"}) == 0
    facts = facts_of(engine, "rows")
    # The answers a rollback used to throw away, each a scan of the whole collection to find again.
    assert facts.get("top_level_array:tag") is False and facts.get("traverses_array:meta.kind") is False
    return facts


def test_an_aborted_transaction_leaves_the_planning_facts_in_place(served):
    engine, db = served
    facts = _seeded(engine, db)
    with db.client.start_session() as session:
        session.start_transaction()
        db.rows.update_one({"_id": 1}, {"$set": {"tag": ["red"]}}, session=session)
        assert db.rows.count_documents({"tag": "red"}, session=session) == 1
        session.abort_transaction()
    assert facts_of(engine, "rows") == facts
    assert db.rows.count_documents({"tag": "red"}) == 0


def test_a_failed_plain_insert_leaves_the_planning_facts_in_place(served):
    engine, db = served
    facts = _seeded(engine, db)
    # Refused by a unique index (as a lost race for a ticket, or a redelivered event's inbox entry, is).
    with pytest.raises(DuplicateKeyError):
        db.rows.insert_one({"_id": "new", "code": "c5", "tag": ["red"]})
    assert facts_of(engine, "rows") == facts
    with pytest.raises(DuplicateKeyError):
        db.rows.insert_one({"_id": 5, "tag": ["red"]})
    assert facts_of(engine, "rows") == facts
    assert db.rows.count_documents({"tag": "red"}) == 0


def test_a_failed_write_inside_a_transaction_leaves_the_planning_facts_in_place(served):
    engine, db = served
    facts = _seeded(engine, db)
    with db.client.start_session() as session:
        session.start_transaction()
        assert db.rows.find_one({"_id": 2}, session=session)["n"] == 2
        with pytest.raises(DuplicateKeyError):
            db.rows.insert_one({"_id": "new", "code": "c5", "tag": ["red"]}, session=session)
        assert facts_of(engine, "rows") == facts
        assert db.rows.count_documents({"tag": "red"}, session=session) == 0
        session.abort_transaction()
    assert facts_of(engine, "rows") == facts
    assert db.rows.count_documents({"tag": "red"}) == 0


def test_arrays_written_after_a_rollback_are_still_matched(served):
    # A restored "no array under tag" must end with the next committed write that puts one there.
    engine, db = served
    _seeded(engine, db)
    with db.client.start_session() as session:
        session.start_transaction()
        db.rows.update_one({"_id": 1}, {"$set": {"tag": ["red"]}}, session=session)
        session.abort_transaction()
    assert db.rows.count_documents({"tag": "red"}) == 0
    db.rows.update_one({"_id": 2}, {"$set": {"tag": ["red", "blue"]}})
    assert [d["_id"] for d in db.rows.find({"tag": "red"})] == [2]

    # An ordered batch whose second document fails keeps the first one, and what it holds is matched.
    assert db.rows.count_documents({"label": "x"}) == 0
    with pytest.raises(BulkWriteError):
        db.rows.insert_many([{"_id": 300, "label": ["x", "y"]}, {"_id": 3, "label": "dup"}])
    assert [d["_id"] for d in db.rows.find({"label": "x"})] == [300]
    with pytest.raises(DuplicateKeyError):
        db.rows.insert_one({"_id": 300, "label": "z"})
    assert [d["_id"] for d in db.rows.find({"label": "x"})] == [300]


def test_a_transaction_that_committed_keeps_what_it_wrote_visible_to_later_queries(served):
    engine, db = served
    _seeded(engine, db)
    with db.client.start_session() as session, session.start_transaction():
        db.rows.update_one({"_id": 7}, {"$set": {"tag": ["red"]}}, session=session)
    assert [d["_id"] for d in db.rows.find({"tag": "red"})] == [7]
