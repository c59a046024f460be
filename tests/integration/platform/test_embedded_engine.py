"""The embedded engine's shortcuts answer as MongoDB would: _id lookups by key, indexes partial per collection."""

import sqlite3

import pymongo
import pytest
from bson import ObjectId

from tests.servers import start_mongo


def _start(tmp_path, out_dir):
    proc, uri = start_mongo(tmp_path, out_dir)
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


def test_indexes_are_partial_to_their_collection_also_in_an_older_data_file(tmp_path, out_dir):
    proc, db = _start(tmp_path, out_dir)
    db.users.create_index("email", unique=True)
    db.orders.create_index([("status", 1), ("created_at", 1)])
    db.users.insert_one({"email": "a@example.com"})
    proc.stop()
    path = tmp_path / "mongo.sqlite"
    with sqlite3.connect(path) as conn:
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' "
                               "AND name LIKE 'idx_%'").fetchall()
        assert len(indexes) == 2 and all("WHERE db_name = 'ticketing'" in sql for _, sql in indexes)
        # As a data file written before this server made them partial: the same indexes over every collection.
        for name, sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
            conn.execute(sql[:sql.index(" WHERE ")])

    proc, db = _start(tmp_path, out_dir)
    try:
        assert db.users.find_one({"email": "a@example.com"}) is not None
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            db.users.insert_one({"email": "a@example.com"})  # the unique index still holds
        db.orders.insert_one({"status": "new", "created_at": 1})
        with sqlite3.connect(path) as conn:
            sqls = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                                    "AND tbl_name = 'documents' AND name LIKE 'idx_%'")]
        assert len(sqls) == 2
        assert any("coll_name = 'users'" in sql for sql in sqls) and any("coll_name = 'orders'" in sql for sql in sqls)
    finally:
        proc.stop()
