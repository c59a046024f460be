"""The embedded engine's shortcuts (_id lookups by primary key, planning facts kept across writes) answer as MongoDB."""

import sqlite3
from datetime import UTC, datetime

import pymongo
import pytest
from bson import Decimal128, ObjectId
from pymongo.errors import OperationFailure

from tests.integration.platform.embedded_support import served_in_thread, traced_engine_class
from tests.servers import start_mongo


def _start(tmp_path, out_dir, *options):
    tmp_path.mkdir(parents=True, exist_ok=True)
    proc, uri = start_mongo(tmp_path, out_dir, *options)
    return proc, pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000).get_default_database()


def test_id_equality_and_in_find_update_and_count_exactly_the_named_documents(tmp_path, out_dir):
    proc, db = _start(tmp_path, out_dir)
    try:
        oid = ObjectId()
        db.items.insert_many([{"_id": f"s{i}", "n": i, "state": "new"} for i in range(20)]
                             + [{"_id": oid, "n": 100, "state": "new"}, {"_id": 7, "n": 7, "state": "new"},
                                {"_id": 7.5, "n": 8, "state": "new"}])
        assert {d["_id"] for d in db.items.find({"_id": {"$in": ["s1", "s3", "missing", oid]}})} == {"s1", "s3", oid}
        assert db.items.find_one({"_id": "s4"})["n"] == 4
        assert db.items.find_one({"_id": oid})["n"] == 100
        # Numbers keep MongoDB's numeric equality (7 == 7.0), which the key lookup leaves to the engine.
        assert db.items.find_one({"_id": 7.0})["n"] == 7
        assert {d["_id"] for d in db.items.find({"_id": {"$in": [7.0, "s2"]}})} == {7, "s2"}
        # Combined with other conditions, and in writes.
        assert [d["_id"] for d in db.items.find({"_id": {"$in": ["s5", "s6"]}, "n": {"$gt": 5}})] == ["s6"]
        result = db.items.update_many({"_id": {"$in": ["s8", "s9", "nope"]}, "state": "new"}, {"$set": {"state": "x"}})
        assert result.matched_count == 2
        assert sorted(d["_id"] for d in db.items.find({"state": "x"})) == ["s8", "s9"]
        assert db.items.count_documents({"_id": {"$in": ["s10", "s11", oid]}}) == 3
        assert db.items.delete_many({"_id": {"$in": ["s12"]}}).deleted_count == 1
        assert db.items.count_documents({}) == 22
    finally:
        proc.stop()


def test_equality_matches_array_elements_written_after_the_field_was_queried(tmp_path, out_dir):
    # The engine keeps "no document holds an array here" across writes that hold none; a write that does must end it.
    proc, db = _start(tmp_path, out_dir)
    try:
        db.things.insert_many([{"_id": f"t{i}", "tag": "plain", "meta": {"kind": "plain"}} for i in range(5)])
        assert db.things.count_documents({"tag": "red"}) == 0
        assert db.things.count_documents({"meta.kind": "red"}) == 0
        db.things.insert_one({"_id": "scalar", "tag": "blue", "meta": {"kind": "blue"}})  # keeps the answers
        assert db.things.count_documents({"tag": "blue"}) == 1

        db.things.insert_one({"_id": "listed", "tag": ["red", "green"], "meta": {"kind": "plain"}})
        assert [d["_id"] for d in db.things.find({"tag": "red"})] == ["listed"]
        db.things.update_one({"_id": "t1"}, {"$set": {"meta": [{"kind": "red"}, {"kind": "other"}]}})
        assert [d["_id"] for d in db.things.find({"meta.kind": "red"})] == ["t1"]
        assert db.things.find_one_and_update({"meta.kind": "red"}, {"$set": {"seen": True}})["_id"] == "t1"

        # An update that turns a scalar into an array on a field queried before, in another collection.
        # (SQLite names a key with an underscore differently from a plain one: both kinds are covered.)
        db.other.insert_many([{"_id": i, "order_code": "a", "the_meta": {"sub_kind": "a"}} for i in range(3)])
        assert db.other.count_documents({"order_code": "b"}) == 0
        assert db.other.count_documents({"the_meta.sub_kind": "b"}) == 0
        db.other.update_one({"_id": 2}, {"$push": {"codes": "b"}, "$set": {"order_code": ["a", "b"]}})
        assert [d["_id"] for d in db.other.find({"order_code": "b"})] == [2]
        db.other.update_one({"_id": 1}, {"$set": {"the_meta.sub_kind": ["b"]}})
        assert [d["_id"] for d in db.other.find({"the_meta.sub_kind": "b"})] == [1]

        # Likewise a Decimal128 set in place where only plain numbers were: it still equals the same number.
        db.other.update_many({}, {"$set": {"amount": 5}})
        assert db.other.count_documents({"amount": 7}) == 0
        db.other.update_one({"_id": 0}, {"$set": {"amount": Decimal128("7")}})
        assert [d["_id"] for d in db.other.find({"amount": 7})] == [0]
    finally:
        proc.stop()


def test_a_rolled_back_transaction_does_not_leave_planning_answers_behind(tmp_path, out_dir):
    proc, db = _start(tmp_path, out_dir)
    client = db.client
    try:
        db.rows.insert_one({"_id": "r", "tag": ["red", "green"]})
        with client.start_session() as session:
            session.start_transaction()
            db.rows.update_one({"_id": "r"}, {"$set": {"tag": "blue"}}, session=session)
            # Planned inside the transaction, where no document holds an array.
            assert db.rows.count_documents({"tag": "blue"}, session=session) == 1
            session.abort_transaction()
        assert [d["_id"] for d in db.rows.find({"tag": "red"})] == ["r"]
    finally:
        proc.stop()


def test_counts_and_groups_take_any_number_of_documents_unless_the_server_is_given_a_budget(tmp_path, out_dir):
    # mongoeco's own budget (50,000 documents held by one count, $group or $sort) broke `flask outbox status` on a
    # grown store; the server lifts it unless told otherwise. A budget of 100 stands in for it here.
    rows = [{"_id": f"r{i}", "kind": "b" if i % 3 == 0 else "a"} for i in range(150)]
    by_kind = [{"$group": {"_id": "$kind", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    proc, db = _start(tmp_path / "budget", out_dir, "--aggregation-limit", "100")
    try:
        db.rows.insert_many(rows)
        assert db.rows.count_documents({"kind": "b"}) == 50
        with pytest.raises(OperationFailure, match="materialization budget"):
            db.rows.count_documents({})
    finally:
        proc.stop()

    proc, db = _start(tmp_path / "default", out_dir)
    try:
        db.rows.insert_many(rows)
        assert db.rows.count_documents({}) == 150
        assert list(db.rows.aggregate(by_kind)) == [{"_id": "a", "n": 100}, {"_id": "b", "n": 50}]
        assert [d["_id"] for d in db.rows.find({}, sort=[("_id", -1)], limit=2)] == ["r99", "r98"]
    finally:
        proc.stop()


def test_single_field_indexes_share_one_sqlite_index_and_each_still_answers_from_it(tmp_path, out_dir):
    proc, db = _start(tmp_path, out_dir)
    try:
        db.a.create_index("code", unique=True)
        db.a.create_index("kind")
        db.b.create_index("kind")
        db.c.create_index("owner")
        db.a.insert_many([{"_id": i, "code": f"c{i}", "kind": i % 3} for i in range(30)])
        db.b.insert_many([{"_id": i, "kind": i % 3} for i in range(9)])
        db.c.insert_many([{"_id": i, "owner": f"o{i % 2}"} for i in range(6)])
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            db.a.insert_one({"_id": 99, "code": "c4"})  # a unique single-field index still refuses a second "c4"

        db.b.drop_index("kind_1")  # dropping one MongoDB index leaves the others' entries and their SQLite index
        db.c.drop()
        assert [d["_id"] for d in db.a.find({"code": "c7"})] == [7]
        assert sorted(d["_id"] for d in db.a.find({"kind": 2})) == [2, 5, 8, 11, 14, 17, 20, 23, 26, 29]
        assert sorted(d["_id"] for d in db.b.find({"kind": 1})) == [1, 4, 7]
        db.a.insert_one({"_id": 100, "code": "c100", "kind": 2})
        assert db.a.count_documents({"kind": 2}) == 11
    finally:
        proc.stop()
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        scalar = raw.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                             "'scalar_index_entries' AND name LIKE 'scidx%'").fetchall()
    assert scalar == [("scidx_shared",)]


def _documents_plans(path, statements, collection):
    """Return SQLite's plan of each traced statement that reads `collection`'s documents (not the planning facts'
    probes, `SELECT 1 … LIMIT 1`, which the engine asks once and keeps)."""
    raw = sqlite3.connect(path)
    plans = []
    for statement in (" ".join(statement.split()) for statement in statements):
        if (f"'{collection}'" in statement and "documents" in statement and not statement.startswith("INSERT")
                and not statement.startswith("SELECT 1 FROM documents")):
            plans.append([row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}")])
    raw.close()
    return plans


def test_string_equalities_and_ins_on_an_indexed_field_seek_its_index_instead_of_reading_the_collection(tmp_path):
    # An email (or refund, or webhook) upsert on its unique key: mongoeco's search for it read every document of the
    # collection whenever the key was new, so writing the n-th email cost O(n); a `$in` on a non-unique index (a
    # batch of events by aggregate) evaluated an EXISTS per value on every document.
    path, statements = tmp_path / "mongo.sqlite", []
    with served_in_thread(None, engine=traced_engine_class(statements)(str(path))) as (_, uri):
        db = pymongo.MongoClient(uri).ticketing
        db.mail.create_index("key", unique=True)
        db.mail.create_index("batch", unique=True, partialFilterExpression={"sent": True})
        db.mail.create_index("group")
        db.mail.insert_many([{"_id": i, "key": f"k{i}", "n": i, "batch": f"b{i}", "sent": i % 2 == 0,
                              "group": f"g{i % 10}"} for i in range(300)])
        statements.clear()
        grouped = sorted(d["_id"] for d in db.mail.find({"group": {"$in": ["g1", "g2", "nope"]}, "n": {"$lt": 40}}))
        regrouped = db.mail.update_many({"group": "g3", "n": {"$gte": 290}}, {"$set": {"group": "g3x"}})
        new = db.mail.update_one({"key": "fresh"}, {"$setOnInsert": {"n": -1}}, upsert=True)
        again = db.mail.update_one({"key": "fresh"}, {"$setOnInsert": {"n": -2}}, upsert=True)
        changed = db.mail.update_one({"key": "k7", "n": 7}, {"$set": {"seen": True}})
        missed = db.mail.update_one({"key": "k8", "n": 9}, {"$set": {"seen": True}})
        # A partial index answers a query that asks for what it holds (its filter's equality among the conditions).
        held = db.mail.update_many({"batch": "b4", "sent": True}, {"$set": {"held": True}})
        outside = db.mail.update_many({"batch": "b3", "sent": True}, {"$set": {"held": True}})
        plans = _documents_plans(path, statements, "mail")

        assert new.upserted_id is not None and again.upserted_id is None and again.matched_count == 1
        assert (changed.modified_count, missed.matched_count) == (1, 0)
        assert [d["n"] for d in db.mail.find({"key": "fresh"})] == [-1]
        assert db.mail.find_one({"_id": 7})["seen"] is True and "seen" not in db.mail.find_one({"_id": 8})
        assert grouped == [1, 2, 11, 12, 21, 22, 31, 32] and regrouped.modified_count == 1
        assert sorted(d["_id"] for d in db.mail.find({"group": {"$in": ["g3x", "g3"]}, "n": {"$gt": 270}})) == [273,
                                                                                                          283, 293]
        assert (held.modified_count, outside.matched_count) == (1, 0)
        assert [d["_id"] for d in db.mail.find({"batch": "b4", "sent": True, "held": True})] == [4]
        # Without its filter's equality, a partial index's field is matched as mongoeco matches it.
        assert sorted(d["_id"] for d in db.mail.find({"batch": {"$in": ["b3", "b4"]}})) == [3, 4]
        assert [d["_id"] for d in db.mail.find({"batch": "b3"})] == [3]
        # Once the field holds an array somewhere, an equality also matches inside arrays: left to mongoeco.
        db.mail.insert_one({"_id": "listed", "key": ["k1-alias", "k2-alias"]})
        assert [d["_id"] for d in db.mail.find({"key": "k2-alias"})] == ["listed"]
        assert db.mail.update_one({"key": "k1-alias"}, {"$set": {"seen": True}}).modified_count == 1
        db.mail.insert_one({"_id": "grouped", "group": ["g5", "g6"]})
        assert sorted(map(str, (d["_id"] for d in db.mail.find({"group": {"$in": ["g6", "g7"]}, "n": {"$lt": 20}})))
                      ) == ["16", "17", "6", "7"]
        assert [d["_id"] for d in db.mail.find({"group": {"$in": ["g6"]}, "n": {"$exists": False}})] == ["grouped"]

    whole_collection = [plan for plan in plans for line in plan if line.startswith("SCAN documents")
                        or (line.startswith("SEARCH documents") and line.endswith("(db_name=? AND coll_name=?)"))]
    assert plans and not whole_collection, whole_collection


def test_rewriting_a_document_seeks_its_ttl_and_array_entries_instead_of_reading_the_collections(tmp_path):
    # mongoeco deletes a document's TTL and array (multikey) entries by (collection, document) on every write, but
    # its only indexes on those tables lead with (collection, expiry) and (collection, index, value): each write of
    # a sent email or a ticket with keywords read every entry of its collection, O(collection size) per write.
    path, statements = tmp_path / "mongo.sqlite", []
    with served_in_thread(None, engine=traced_engine_class(statements)(str(path))) as (_, uri):
        db = pymongo.MongoClient(uri).ticketing
        db.mail.create_index("sent_at", expireAfterSeconds=3600)
        db.mail.create_index("tags")
        db.mail.insert_many([{"_id": i, "sent_at": datetime.now(UTC), "tags": [f"t{i}", "all"]} for i in range(200)])
        statements.clear()
        db.mail.update_one({"_id": 7}, {"$set": {"tags": ["seven"], "sent_at": datetime.now(UTC)}})
        db.mail.delete_one({"_id": 8})
        deletes = [" ".join(s.split()) for s in statements
                   if s.lstrip().startswith("DELETE FROM") and ("ttl_index_entries" in s or "multikey_entries" in s)]
        with sqlite3.connect(path) as raw:
            plans = {statement: [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}")]
                     for statement in deletes}

        assert [d["_id"] for d in db.mail.find({"tags": "seven"})] == [7]
        assert db.mail.count_documents({"tags": "all"}) == 198 and db.mail.find_one({"tags": "t7"}) is None
    assert {"ttl_index_entries", "multikey_entries"} <= {s.split()[2] for s in deletes}
    assert all(plan and all("storage_key=?" in line for line in plan) for plan in plans.values()), plans
