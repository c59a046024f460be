"""Each override of mongoeco's internals (app/platform/embedded) finds what it relies on in the installed mongoeco.

A mongoeco upgrade that renames, re-signs or stops calling one of these internals fails here, by name, instead of
silently turning an override into dead code (or the server into a wrong one). The behaviour each override gives is
tested in test_embedded_engine.py, test_embedded_facts.py, test_embedded_mongo.py and test_embedded_ordered.py.
"""

import dataclasses
import inspect
import sqlite3
from datetime import datetime

import pymongo
import pytest
from bson import ObjectId

from app.platform.embedded import gated_server_class, mongo_server, sqlite_engine_class
from app.platform.embedded.namespaces import namespace_sql
from tests.integration.platform.embedded_support import facts_of, running, served_in_thread

P = inspect.Parameter


def _parameters(function):
    """Return [(name, kind)] of a function's parameters, self excluded."""
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values() if p.name != "self"]


def _spied(calls):
    """Return the server's engine class with each relied-on internal recording its calls into `calls`."""

    class Spy(sqlite_engine_class()):
        def _invalidate_collection_features_cache(self, db_name=None, coll_name=None):
            calls.append(("invalidate", db_name, coll_name))
            return super()._invalidate_collection_features_cache(db_name, coll_name)

        async def _run_blocking(self, func, /, *args, **kwargs):
            calls.append(("run_blocking", getattr(func, "__name__", "?")))
            return await super()._run_blocking(func, *args, **kwargs)

        def _translate_query_plan_with_multikey(self, db_name, coll_name, plan):
            calls.append(("translate", type(plan).__name__, getattr(plan, "field", None)))
            return super()._translate_query_plan_with_multikey(db_name, coll_name, plan)

        def _validate_document_against_unique_indexes(self, db_name, coll_name, document, **options):
            calls.append(("unique", document.get("_id"), options.get("scan_payload_id")))
            return super()._validate_document_against_unique_indexes(db_name, coll_name, document, **options)

    return Spy


@pytest.fixture
def spied(tmp_path):
    """Serve a fresh database through a spied engine; yield (engine, database, calls)."""
    calls = []
    engine = _spied(calls)(str(tmp_path / "mongo.sqlite"))
    with served_in_thread(None, engine=engine) as (engine, uri):
        client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000)
        yield engine, client.ticketing, calls
        client.close()


# --- engine.py -----------------------------------------------------------------------------------------------------


def test_the_change_log_writer_is_the_module_function_the_engine_calls():
    # Override: `sqlite._sqlite_append_change` is replaced by a no-op (the server offers no change streams).
    from mongoeco.engines import sqlite

    source = inspect.getsource(sqlite)
    assert callable(sqlite._sqlite_append_change)
    assert source.count("_sqlite_append_change(") >= 3  # every write path reaches it through the module global
    assert "change_delivery" in {f.name for f in dataclasses.fields(type(sqlite.SQLiteEngine.capabilities))}


def test_no_write_reaches_the_change_log(spied, tmp_path):
    engine, db, _ = spied
    db.items.insert_one({"_id": "a", "n": 1})
    db.items.update_one({"_id": "a"}, {"$set": {"n": 2}})
    db.items.delete_one({"_id": "a"})
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "documents" in tables
        if "change_outbox" in tables:
            assert raw.execute("SELECT COUNT(*) FROM change_outbox").fetchone()[0] == 0
    assert engine.capabilities.change_delivery == "none"


def test_documents_live_in_a_documents_table_the_triggers_watch(spied, tmp_path):
    # Override: `_connect_sync` adds SQLite functions and TEMP triggers on main.documents(document, storage_key).
    engine, db, _ = spied
    from mongoeco.engines.sqlite import SQLiteEngine

    assert _parameters(SQLiteEngine._connect_sync) == []
    db.items.insert_one({"_id": "a", "tags": ["x"], "meta": {"list": [1]}})
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(documents)")}
    assert {"document", "storage_key"} <= columns
    assert {"tags", "meta.list"} <= engine._array_paths  # the triggers fired for the write
    assert not engine._wrote_watched_type


def test_planning_facts_are_cached_by_collection_and_forgotten_per_collection_on_writes(spied):
    # Override: `_invalidate_collection_features_cache(db_name, coll_name)` keeps the facts no write could break.
    engine, db, calls = spied
    from mongoeco.engines.sqlite import SQLiteEngine

    assert _parameters(SQLiteEngine._invalidate_collection_features_cache) == [
        ("db_name", P.POSITIONAL_OR_KEYWORD), ("coll_name", P.POSITIONAL_OR_KEYWORD)]
    db.items.insert_many([{"_id": f"i{n}", "tag": "t", "meta": {"kind": "k"}} for n in range(5)])
    assert db.items.count_documents({"tag": "x", "meta.kind": "y"}) == 0
    facts = facts_of(engine, "items")
    # The fact names the override knows how to keep.
    assert facts.get("top_level_array:tag") is False and facts.get("traverses_array:meta.kind") is False
    assert any(name.startswith("tagged_type:tag:") for name in facts)
    calls.clear()
    db.items.insert_one({"_id": "plain", "tag": "t", "meta": {"kind": "k"}})
    assert ("invalidate", "ticketing", "items") in calls
    assert facts_of(engine, "items")["top_level_array:tag"] is False  # kept: the write held no array


def test_a_rename_is_an_engine_method_the_override_wraps(spied):
    # Override: `_rename_collection_sync` forgets every fact afterwards (the renamed documents predate the triggers).
    engine, db, _ = spied
    from mongoeco.engines.sqlite import SQLiteEngine

    assert [name for name, _ in _parameters(SQLiteEngine._rename_collection_sync)] == [
        "db_name", "coll_name", "new_name", "context"]
    db.old.insert_one({"_id": "a", "tag": ["red"]})
    db.command("renameCollection", "ticketing.old", to="ticketing.renamed")
    assert [d["_id"] for d in db.renamed.find({"tag": "red"})] == ["a"]


def test_every_engine_call_goes_through_run_blocking(spied):
    # Override: `_run_blocking(func, /, *args, **kwargs)` runs the call in place instead of in a thread pool.
    _, db, calls = spied
    from mongoeco.engines.sqlite import SQLiteEngine

    assert inspect.iscoroutinefunction(SQLiteEngine._run_blocking)
    assert _parameters(SQLiteEngine._run_blocking) == [
        ("func", P.POSITIONAL_ONLY), ("args", P.VAR_POSITIONAL), ("kwargs", P.VAR_KEYWORD)]
    calls.clear()
    db.items.insert_one({"_id": "a"})
    assert db.items.find_one({"_id": "a"}) == {"_id": "a"}
    assert sum(1 for call in calls if call[0] == "run_blocking") >= 2


def test_id_conditions_reach_the_plan_translation_as_equals_and_in_conditions(spied):
    # Override: `_translate_query_plan_with_multikey(db, coll, plan)` answers `_id` equality/$in by storage key.
    engine, db, calls = spied
    from mongoeco.engines.sqlite import SQLiteEngine

    assert _parameters(SQLiteEngine._translate_query_plan_with_multikey) == [
        ("db_name", P.POSITIONAL_OR_KEYWORD), ("coll_name", P.POSITIONAL_OR_KEYWORD), ("plan", P.POSITIONAL_OR_KEYWORD)]
    oid = ObjectId()
    db.items.insert_many([{"_id": oid, "n": 1}, {"_id": "s", "n": 2}])
    calls.clear()
    assert [d["n"] for d in db.items.find({"_id": oid})] == [1]
    assert [d["n"] for d in db.items.find({"_id": {"$in": ["s", "missing"]}})] == [2]
    translated = {call[1:] for call in calls if call[0] == "translate"}
    assert {("EqualsCondition", "_id"), ("InCondition", "_id")} <= translated
    # The storage key of a string or ObjectId _id is what the documents table is keyed by.
    assert engine._storage_key(oid) == engine._storage_key(ObjectId(str(oid)))
    assert engine._storage_key("s") != engine._storage_key(oid)


def test_an_objectid_over_the_wire_is_mongoecos_subclass_and_is_looked_up_by_its_storage_key(spied):
    # Override: `_translate_query_plan_with_multikey` takes any ObjectId (the wire decodes to mongoeco's subclass of
    # bson's, whose storage key names that class) and looks up the keys of both classes.
    engine, db, calls = spied
    from mongoeco.types import ObjectId as StoredObjectId

    assert issubclass(StoredObjectId, ObjectId) and StoredObjectId is not ObjectId
    oid = ObjectId()
    db.items.insert_many([{"_id": oid, "n": 1}, {"_id": ObjectId(), "n": 2}])
    stored = engine._storage_key(StoredObjectId(str(oid)))
    assert str(oid) in stored and stored != engine._storage_key(oid)
    with sqlite3.connect(engine._path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM documents WHERE storage_key = ?", (stored,)).fetchone()[0] == 1
    explained = db.items.find({"_id": {"$in": [oid, ObjectId()]}}).explain()
    assert "storage_key IN" in explained["details"]["pushdown"]["sqlFragment"]
    assert [d["n"] for d in db.items.find({"_id": {"$in": [oid]}})] == [1]


def test_the_ordered_reads_find_the_hooks_and_index_expressions_they_rely_on(spied, tmp_path):
    # Overrides (ordered.py): `_build_scalar_sort_select_sql` (asked first for every SQL read), `_sort_requires_python`
    # (its collection pre-check) and `_count_matching_documents_sync`; the SQL is built with
    # `_build_select_statement_with_custom_order` over the expression index mongoeco made from index_expressions_sql.
    engine, db, _ = spied
    from mongoeco.engines import _sqlite_fast_paths, sqlite_planner
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.engines.sqlite_query import _normalize_comparable_value, index_expressions_sql

    assert _parameters(SQLiteEngine._build_scalar_sort_select_sql) == [
        ("db_name", P.POSITIONAL_OR_KEYWORD), ("coll_name", P.POSITIONAL_OR_KEYWORD),
        ("plan", P.POSITIONAL_OR_KEYWORD), *[(name, P.KEYWORD_ONLY) for name in (
            "select_clause", "sort", "skip", "limit", "hint")]]
    build = inspect.getsource(_sqlite_fast_paths.build_select_sql)
    assert build.index("build_scalar_sort_select_sql_fn(") < build.index("translate_query_plan_with_multikey(")
    assert [name for name, _ in _parameters(SQLiteEngine._sort_requires_python)] == [
        "db_name", "coll_name", "plan", "sort"]
    compile_source = inspect.getsource(sqlite_planner.compile_sqlite_read_execution_plan)
    assert "sort_requires_python(" in compile_source and "sort=semantics.sort" in compile_source
    assert [name for name, _ in _parameters(SQLiteEngine._count_matching_documents_sync)] == [
        "db_name", "coll_name", "semantics", "context"]
    assert "SELECT COUNT(*) FROM ({sql})" in inspect.getsource(SQLiteEngine._count_matching_documents_sync)
    assert {name for name, _ in _parameters(SQLiteEngine._build_select_statement_with_custom_order)} == {
        "select_clause", "from_clause", "namespace_sql", "namespace_params", "where_fragment", "order_sql", "skip",
        "limit"}
    assert _normalize_comparable_value(datetime(2030, 1, 2, 3, 4, 5))[0] == "datetime"

    db.items.create_index([("status", 1), ("at", -1), ("_id", 1)], name="probe")
    db.items.insert_one({"_id": ObjectId(), "status": "a", "at": datetime(2030, 1, 1)})
    index = next(i for i in engine._load_indexes("ticketing", "items") if i["name"] == "probe")
    assert index["key"] == [("status", 1), ("at", -1), ("_id", 1)] and index["hidden"] is False
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        ddl = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index["physical_name"],)).fetchone()[0]
    columns = ["db_name", "coll_name", *(f"{e}{' DESC' if d == -1 else ''}"
                                         for f, d in index["key"] for e in index_expressions_sql(f))]
    assert ddl.endswith(f"ON documents ({', '.join(columns)}) WHERE {namespace_sql('ticketing', 'items')}")
    explained = db.items.find({"status": "a"}, sort=[("at", -1), ("_id", 1)]).explain()
    assert f'INDEXED BY "{index["physical_name"]}"' in explained["details"]["pushdown"]["sqlFragment"]
    assert not any("TEMP B-TREE" in line for line in explained["details"]["engine_details"])


def test_a_users_mongoeco_key_is_stored_as_written_and_seen_by_the_tagged_trigger(spied):
    # Override: `_note_tagged` also records a "$mongoeco" key that is not one of mongoeco's own tags (stored as it is,
    # it would read as a tagged value in the index expressions); mongoeco escapes only objects with a "type".
    engine, db, _ = spied
    db.items.insert_one({"_id": "own", "at": datetime(2030, 1, 1)})
    assert not engine._wrote_foreign_marker and not engine._holds_foreign_marker("ticketing", "items")
    db.items.insert_one({"_id": "user", "price": {"$mongoeco": {"value": 2}}})
    assert engine._wrote_foreign_marker and engine._holds_foreign_marker("ticketing", "items")
    with sqlite3.connect(engine._path) as raw:
        stored = raw.execute("SELECT document FROM documents WHERE storage_key = ?",
                             (engine._storage_key("user"),)).fetchone()[0]
    assert '"price":{"$mongoeco":{"value":2}}' in stored


def test_single_inserts_ask_for_the_numeric_id_scan_by_option(spied):
    # Override: `_validate_document_against_unique_indexes(..., scan_payload_id=...)` skips the scan for such ids.
    _, db, calls = spied
    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.engines.sqlite import SQLiteEngine

    parameters = dict(_parameters(SQLiteEngine._validate_document_against_unique_indexes))
    assert parameters.get("scan_payload_id") == P.KEYWORD_ONLY
    assert id_contains_numeric_value(7) and not id_contains_numeric_value("seven")
    assert not id_contains_numeric_value(ObjectId())
    calls.clear()
    db.items.insert_one({"_id": "one"})
    assert ("unique", "one", True) in calls  # mongoeco still asks for the scan; the override turns it off


def test_transactions_and_write_scopes_run_through_the_engine_session_runtime(spied):
    # Override: the engine's `_session_runtime` is replaced by one that restores the planning facts on rollbacks.
    engine, db, _ = spied
    from mongoeco.engines._sqlite_session_runtime import SQLiteSessionRuntime
    from mongoeco.engines.sqlite import SQLiteEngine

    runtime = engine._session_runtime
    assert type(runtime).__mro__[1] is SQLiteSessionRuntime
    for name in ("start_session_transaction", "commit_session_transaction", "abort_session_transaction"):
        assert _parameters(getattr(SQLiteSessionRuntime, name)) == [("session", P.POSITIONAL_OR_KEYWORD)], name
    for name in ("begin_write", "commit_write", "rollback_write"):
        assert _parameters(getattr(SQLiteSessionRuntime, name)) == [
            ("conn", P.POSITIONAL_OR_KEYWORD), ("context", P.POSITIONAL_OR_KEYWORD)], name
    assert _parameters(SQLiteSessionRuntime.clear_write_states) == []
    # mongoeco clears the facts on a rollback (what the override undoes), through the engine's invalidation.
    assert "_invalidate_collection_features_cache()" in inspect.getsource(
        SQLiteSessionRuntime._clear_rollback_sensitive_caches)
    assert "_session_runtime.begin_write(" in inspect.getsource(SQLiteEngine._begin_write)
    assert "_session_runtime.rollback_write(" in inspect.getsource(SQLiteEngine._rollback_write)

    seen = []
    for name in ("start_session_transaction", "abort_session_transaction", "begin_write", "rollback_write"):
        original = getattr(runtime, name)

        def spy(*args, _original=original, _name=name):
            seen.append(_name)
            return _original(*args)

        setattr(runtime, name, spy)
    db.items.create_index("code", unique=True)
    db.items.insert_one({"_id": "a", "code": 1})
    with db.client.start_session() as session:
        session.start_transaction()
        db.items.insert_one({"_id": "b", "code": 2}, session=session)
        session.abort_transaction()
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        db.items.insert_one({"_id": "c", "code": 1})
    # Sessions made after the engine was built bind the runtime's hooks; plain writes go through its write scopes.
    assert {"start_session_transaction", "abort_session_transaction", "begin_write", "rollback_write"} <= set(seen)
    assert runtime._write_states == {} and isinstance(runtime._write_states, dict)


def test_the_aggregation_budget_is_an_engine_argument_defaulting_to_50000(tmp_path):
    # Override: the server passes aggregation_materialization_limit (None: no budget) to the engine.
    from mongoeco.core.aggregation.cost import AggregationCostPolicy
    from mongoeco.engines.sqlite import SQLiteEngine

    parameter = inspect.signature(SQLiteEngine.__init__).parameters["aggregation_materialization_limit"]
    assert parameter.default == 50_000
    engine_class = sqlite_engine_class()
    assert engine_class(str(tmp_path / "a.sqlite"), aggregation_materialization_limit=None).aggregation_cost_policy \
        is None
    budget = engine_class(str(tmp_path / "b.sqlite"), aggregation_materialization_limit=10).aggregation_cost_policy
    assert isinstance(budget, AggregationCostPolicy) and budget.max_materialized_documents == 10


# --- server.py -----------------------------------------------------------------------------------------------------


def test_the_gate_finds_the_proxy_server_internals_it_relies_on(tmp_path):
    # Override: GatedProxyServer wraps `_dispatch_wire_request` and `_handle_connection`, reads the session store,
    # the connection registry and the engine's transaction owner, and decodes command bodies itself.
    from mongoeco.wire._session_identity import wire_session_key  # noqa: F401 - importable is what is checked
    from mongoeco.wire.bson_bridge import decode_wire_value  # noqa: F401
    from mongoeco.wire.protocol import OP_MSG, decode_op_msg  # noqa: F401
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    assert _parameters(AsyncMongoEcoProxyServer._dispatch_wire_request) == [
        ("header", P.POSITIONAL_OR_KEYWORD), ("payload", P.POSITIONAL_OR_KEYWORD), ("connection", P.KEYWORD_ONLY)]
    assert _parameters(AsyncMongoEcoProxyServer._handle_connection) == [
        ("reader", P.POSITIONAL_OR_KEYWORD), ("writer", P.POSITIONAL_OR_KEYWORD)]
    assert {"engine", "host", "port"} <= set(inspect.signature(AsyncMongoEcoProxyServer.__init__).parameters)
    assert issubclass(gated_server_class(), AsyncMongoEcoProxyServer)

    server = mongo_server(str(tmp_path / "mongo.sqlite"), port=0)
    engine = server.engine
    with running(server) as uri:
        client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000)
        db = client.ticketing
        db.items.insert_one({"_id": "a"})
        with client.start_session() as session:
            session.start_transaction()
            db.items.insert_one({"_id": "b"}, session=session)
            contexts = [c for c in server._session_store._sessions.values() if c.key == server._holder]
            assert len(contexts) == 1 and contexts[0].session.transaction_active
            assert callable(contexts[0].session.abort_transaction)
            assert server._holder_connections <= set(server._connections._connections)
            assert server._client._engine is engine and engine._transaction_owner_session_id is not None
            session.abort_transaction()
        assert engine._transaction_owner_session_id is None and server._holder is None
        client.close()


def test_scalar_indexes_are_named_by_one_engine_method_and_made_through_the_connection_factory():
    # Override: `_physical_scalar_index_name` names every scalar index's SQLite index "scidx_shared", and the
    # connection class (`sqlite.SQLiteConnection`, the factory `_create_sqlite_connection` passes) turns its CREATE
    # into CREATE IF NOT EXISTS and its DROP into nothing: mongoeco must still name, create and drop it that way.
    from mongoeco.engines import _sqlite_index_admin, _sqlite_index_runtime, _sqlite_namespace_admin, sqlite

    assert _parameters(sqlite.SQLiteEngine._physical_scalar_index_name) == [
        ("db_name", P.POSITIONAL_OR_KEYWORD), ("coll_name", P.POSITIONAL_OR_KEYWORD),
        ("index_name", P.POSITIONAL_OR_KEYWORD)]
    assert "factory=SQLiteConnection" in inspect.getsource(sqlite.SQLiteEngine._create_sqlite_connection)
    columns = "ON scalar_index_entries (collection_id, index_name, type_score, element_key, storage_key)"
    create = 'f"CREATE INDEX {quote_identifier(str(scalar_physical_name))} "'
    assert create in inspect.getsource(_sqlite_index_admin) and columns in inspect.getsource(_sqlite_index_admin)
    assert "CREATE INDEX IF NOT EXISTS" in inspect.getsource(_sqlite_index_runtime.ensure_scalar_physical_indexes_sync)
    for module in (_sqlite_index_admin, _sqlite_namespace_admin):
        source = inspect.getsource(module)
        assert "DROP INDEX IF EXISTS {quote_identifier(str(" in source and "scalar_physical_name" in source
        assert "DROP INDEX {" not in source  # every drop of it says IF EXISTS, which is what the connection matches


def test_the_unique_key_lookup_finds_the_engine_internals_it_builds_on(tmp_path):
    # Override: `_translate_query_plan_with_multikey` answers a string equality or `$in` on a field with a
    # single-field index (unique or multikey; partial when the query implies its filter) from scalar_index_entries;
    # mongoeco must still write every scalar string there, for both kinds of index.
    from mongoeco.engines.sqlite import SQLiteEngine

    for name in ("_find_multikey_index", "_load_indexes", "_field_is_top_level_array_in_collection"):
        assert [p for p, _ in _parameters(getattr(SQLiteEngine, name))][:2] == ["db_name", "coll_name"], name
    assert [p for p, _ in _parameters(SQLiteEngine._lookup_collection_id)][:3] == ["conn", "db_name", "coll_name"]
    assert SQLiteEngine._multikey_signatures_for_query_value("k") == (("string", "k"),)
    assert isinstance(SQLiteEngine._multikey_type_score("string"), int)
    assert "_translate_equals_scalar_only(" in inspect.getsource(SQLiteEngine._translate_query_plan_with_multikey)
    with served_in_thread(tmp_path / "mongo.sqlite") as (engine, uri):
        db = pymongo.MongoClient(uri).ticketing
        db.keyed.create_index("key", unique=True)
        db.keyed.create_index("group")
        db.keyed.insert_one({"_id": "a", "key": "k", "group": "g"})
        [grouped] = [i for i in engine._load_indexes("ticketing", "keyed") if i["fields"] == ["group"]]
        assert grouped.get("multikey") and grouped["scalar_physical_name"]
        [index] = [i for i in engine._load_indexes("ticketing", "keyed") if i["fields"] == ["key"]]
        assert engine._supports_scalar_index(index) and not index.get("multikey") and index["scalar_physical_name"]
        assert index.get("partial_filter_expression") is None
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        rows = raw.execute("SELECT index_name, storage_key, element_key FROM scalar_index_entries").fetchall()
    assert {("key_1", engine._storage_key("a"), "k"), ("group_1", engine._storage_key("a"), "g")} <= set(rows)


def test_expression_indexes_are_created_by_one_statement_the_connection_can_scope(tmp_path):
    # Override: `_physical_index_name` records each expression index's collection, and the connection appends
    # `WHERE <that collection>` to mongoeco's `CREATE INDEX "<name>" ON documents (<expressions>)`; a rename makes
    # them again over the new name (`_rename_collection_sync(db_name, coll_name, new_name, context)`).
    from mongoeco.engines import _sqlite_index_admin
    from mongoeco.engines.sqlite import SQLiteEngine

    assert [p for p, _ in _parameters(SQLiteEngine._physical_index_name)] == ["db_name", "coll_name", "index_name"]
    assert [p for p, _ in _parameters(SQLiteEngine._rename_collection_sync)] == [
        "db_name", "coll_name", "new_name", "context"]
    admin = inspect.getsource(_sqlite_index_admin)
    assert 'f"CREATE INDEX {quote_identifier(physical_name)} "\n' in admin
    assert 'f"ON documents ({expressions})"' in admin
    assert SQLiteEngine._physical_index_name(None, "ticketing", "items", "probe").startswith("idx_")
    with served_in_thread(tmp_path / "mongo.sqlite") as (engine, uri):
        db = pymongo.MongoClient(uri).ticketing
        db.items.create_index([("status", 1), ("at", 1)], name="probe")
        db.items.insert_many([{"status": "a", "at": i} for i in range(5)])
        db.others.insert_many([{"status": "a", "at": i} for i in range(3)])
        db.command("renameCollection", "ticketing.items", to="ticketing.renamed")
        assert [d["at"] for d in db.renamed.find({"status": "a"}, sort=[("at", -1), ("_id", 1)])] == [4, 3, 2, 1, 0]
        assert db.renamed.count_documents({"status": "a", "at": {"$gt": 2}}) == 2
        [index] = [i for i in engine._load_indexes("ticketing", "renamed") if i["name"] == "probe"]
    with sqlite3.connect(tmp_path / "mongo.sqlite") as raw:
        ddl = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index["physical_name"],)).fetchone()[0]
        held = raw.execute(f'SELECT COUNT(*) FROM documents INDEXED BY "{index["physical_name"]}" WHERE '
                           f"{namespace_sql('ticketing', 'renamed')}").fetchone()[0]
    assert ddl.endswith(f"WHERE {namespace_sql('ticketing', 'renamed')}") and held == 5
