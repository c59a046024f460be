"""The embedded engine's _id lookups by primary key answer exactly as MongoDB would."""

import pymongo
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
