"""The engine: mongoeco's SQLite engine without its change log, its thread per call and its scans per write or read."""

import re

from .namespaces import namespace_sql

_JSON_PATH_STEP = re.compile(r'\.(?:"([^"\\]*)"|([^."\[\]]+))')


def _dotted_path(json_path):
    """Return SQLite's JSON path of an array ('$.a."b_c"', '$.a[2]') as a dotted field name, or None if it has none."""
    if not json_path.startswith("$"):
        return None
    # The array's own place: an array inside an array (a[2]) is reported as its outer array's field.
    position, parts, end = 1, [], json_path.find("[")
    end = len(json_path) if end < 0 else end
    while position < end:
        step = _JSON_PATH_STEP.match(json_path, position, end)
        if step is None:
            return None
        name = step.group(1) if step.group(1) is not None else step.group(2)
        if "." in name or not name:
            return None
        parts.append(name)
        position = step.end()
    return ".".join(parts) or None


# The one SQLite index on scalar_index_entries for all single-field indexes (Engine._physical_scalar_index_name).
SHARED_SCALAR_INDEX = "scidx_shared"
_SHARED = f'"{SHARED_SCALAR_INDEX}"'


# Physical name of each MongoDB index's expression index on `documents` → (database, collection) it belongs to.
_INDEX_SCOPES = {}
_CREATE_DOCUMENTS_INDEX = re.compile(r'\s*CREATE INDEX "(idx_[0-9a-f]+)" ON documents \((.*)\)\s*', re.DOTALL)


def _scoped_index_statement(sql):
    """Return `sql` creating a collection's expression index as a partial index over that collection's documents."""
    created = _CREATE_DOCUMENTS_INDEX.fullmatch(sql)
    scope = _INDEX_SCOPES.get(created.group(1)) if created else None
    return f"{sql.rstrip()} WHERE {namespace_sql(*scope)}" if scope else sql


def _shared_scalar_index_statement(sql):
    """Return the SQL to run instead of `sql` for the shared scalar index (None: run nothing), or `sql` itself."""
    if _SHARED not in sql:
        return sql
    words = sql.split()
    if words[:2] == ["CREATE", "INDEX"] and words[2] == _SHARED:
        return "CREATE INDEX IF NOT EXISTS " + sql.split(None, 2)[2]  # the second MongoDB index finds it there
    if words[:5] == ["DROP", "INDEX", "IF", "EXISTS", _SHARED]:
        return None  # dropping one MongoDB index must not drop the one the others use (its rows go with it)
    return sql


def _held(partial_filter, implied):
    """Return whether a query whose equalities are `implied` ({(field, type, value)}) selects only documents that an
    index with this partial filter holds (always, without a filter)."""
    if not partial_filter:
        return True
    return isinstance(partial_filter, dict) and all(
        type(value) in (str, bool) and (field, type(value), value) in implied
        for field, value in partial_filter.items())


def sqlite_engine_class():
    """Return mongoeco's SQLite engine without its change log, its thread per call and its scans per write or read."""
    from dataclasses import replace

    from bson import ObjectId
    from mongoeco.core.filtering import AndCondition, EqualsCondition, InCondition
    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.engines import sqlite
    from mongoeco.engines._sqlite_connection import SQLiteConnection
    from mongoeco.engines._sqlite_session_runtime import SQLiteSessionRuntime
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.types import ObjectId as StoredObjectId

    from .ordered import ordered_reads_class

    def _strings_asked(plan):
        # An equality to a string, or a `$in` of strings (not too many of them): what the scalar entries answer.
        if isinstance(plan, EqualsCondition):
            return type(plan.value) is str
        return isinstance(plan, InCondition) and 0 < len(plan.values) <= 500 and all(
            type(value) is str for value in plan.values)

    OrderedReads = ordered_reads_class()

    # Change streams: the app never opens one, yet mongoeco writes every change (the whole document, serialized) to
    # a change log in SQLite and, after each write, starts a heartbeat thread and takes a lease to dispatch that log.
    # That was about half of the server's time per write. This server does not offer change streams.
    sqlite._sqlite_append_change = lambda *args, **kwargs: None

    # Planning facts mongoeco asks about a queried field before every query that the last write to the collection
    # made it forget, each a scan of the whole collection: does any document hold a Decimal128/bytes/undefined value
    # there, or an array at or on the way to it (asked for every equality on a field without a multikey index).
    watched = tuple(f'"type":"{t}"' for t in ("decimal", "decimal128", "decimal128_public", "bytes", "undefined"))
    array_facts = ("top_level_array:", "traverses_array:")
    own_tag = '"$mongoeco":{"type":'
    # SQLite itself reports what every written document holds, whichever of mongoeco's write paths wrote it (some
    # update the stored JSON in SQL, never serializing the document in Python).
    triggers = [
        f"""CREATE TEMP TRIGGER IF NOT EXISTS ticketing_{name}_{event.split()[0].lower()}
            AFTER {event} ON main.documents WHEN instr(NEW.document, '{marker}') > 0
            BEGIN {body}; END"""
        for event in ("INSERT", "UPDATE OF document")
        for name, marker, body in (
            ("tagged", '"$mongoeco"', "SELECT ticketing_note_tagged(NEW.document)"),
            ("arrays", "[", "SELECT ticketing_note_array(fullkey) FROM json_tree(NEW.document) WHERE type = 'array'"),
        )
    ]

    class SessionRuntime(SQLiteSessionRuntime):
        """mongoeco's transactions and write scopes, putting back the planning facts a rollback throws away."""

        # A rollback returns the data to what it was at BEGIN or at the failed write's savepoint, and the planning
        # facts known then were true of exactly that data: restore them instead of letting mongoeco clear them all,
        # which made the next query on every collection rescan it (each lost reservation race, each 4xx answered
        # from inside a unit of work, each write refused by a unique index). The facts the triggers record
        # (_array_paths, _wrote_watched_type, _wrote_foreign_marker) keep what a rolled-back write added: that errs
        # on the safe side.

        def __init__(self, engine):
            super().__init__(engine)
            self._facts_at_begin = None
            self._facts_at_write = {}  # connection → the facts at the start of each open write scope, outermost first

        def _facts(self):
            return dict(self._engine._collection_features_cache)

        def _restore(self, facts):
            cache = self._engine._collection_features_cache
            cache.clear()
            cache.update(facts)

        def start_session_transaction(self, session):
            with self._engine._lock:
                super().start_session_transaction(session)
                self._facts_at_begin = self._facts()

        def commit_session_transaction(self, session):
            with self._engine._lock:
                super().commit_session_transaction(session)
                self._facts_at_begin = None

        def abort_session_transaction(self, session):
            with self._engine._lock:
                connection = self._engine._connection
                rolls_back = connection is not None and self._engine._transaction_owner_session_id == session.session_id
                super().abort_session_transaction(session)  # raises (leaving the facts cleared) if ROLLBACK fails
                if rolls_back:
                    facts, self._facts_at_begin = self._facts_at_begin, None
                    self._facts_at_write.pop(connection, None)
                    if facts is not None:
                        self._restore(facts)

        def begin_write(self, conn, context):
            super().begin_write(conn, context)
            self._facts_at_write.setdefault(conn, []).append(self._facts())

        def commit_write(self, conn, context):
            super().commit_write(conn, context)
            self._pop_write_facts(conn)

        def rollback_write(self, conn, context):
            state = self._write_states.get(conn)
            # Only a savepoint or a transaction of the write's own is undone (a frame-less write inside the session's
            # transaction is left for the transaction's abort).
            undone = bool(state and state.frames and state.frames[-1]) or not self.session_owns_transaction(context)
            facts = self._pop_write_facts(conn)
            super().rollback_write(conn, context)  # raises (leaving the facts cleared) if the rollback fails
            if undone and facts is not None:
                self._restore(facts)

        def _pop_write_facts(self, conn):
            stack = self._facts_at_write.get(conn)
            facts = stack.pop() if stack else None
            if not stack:
                self._facts_at_write.pop(conn, None)
            return facts

        def clear_write_states(self):
            super().clear_write_states()
            self._facts_at_write.clear()
            self._facts_at_begin = None

    class Connection(SQLiteConnection):
        """mongoeco's connection: the shared scalar index made and dropped as one for all, and each collection's
        expression indexes made over that collection's documents only."""

        def execute(self, sql, *args):
            if isinstance(sql, str):
                sql = _shared_scalar_index_statement(sql)
                sql = "SELECT 1 WHERE 0" if sql is None else _scoped_index_statement(sql)
            return super().execute(sql, *args)

    sqlite.SQLiteConnection = Connection  # the factory of the engine's connections

    class Engine(OrderedReads, SQLiteEngine):
        capabilities = replace(SQLiteEngine.capabilities, change_delivery="none")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._session_runtime = SessionRuntime(self)
            # What this server has written since it started, recorded by SQLite triggers as each write runs (so
            # before any query can see it), and never forgotten: a fact is kept across a write only while no
            # written document could have made it false.
            self._wrote_watched_type = False
            self._wrote_foreign_marker = False  # a "$mongoeco" key that is not one of mongoeco's own tags
            self._array_paths = set()  # dotted path of every array written (not looking inside arrays)
            self._array_paths_unknown = False  # an array under a key the dotted form cannot name

        def _physical_index_name(self, db_name, coll_name, index_name):
            # mongoeco makes each MongoDB index an expression index over the whole shared documents table: every
            # document of every collection had an entry in every index of every collection, each written (two
            # json_extract per key) on every insert and update. Made partial (this collection's documents only),
            # a write maintains only its own collection's indexes; SQLite still uses them for mongoeco's queries,
            # whose collection is a bound parameter (it re-plans once the values are bound), and a read that names
            # the index (INDEXED BY) writes the collection out (namespace_sql). Stores made before keep theirs.
            name = super()._physical_index_name(db_name, coll_name, index_name)
            _INDEX_SCOPES[name] = (db_name, coll_name)
            return name

        def _physical_scalar_index_name(self, db_name, coll_name, index_name):
            # mongoeco makes one SQLite index on scalar_index_entries per single-field MongoDB index, each on the same
            # five columns over the whole table (every collection's rows): N identical B-trees, each updated on every
            # indexed write, half the database file. Its leading columns (collection_id, index_name) keep each
            # MongoDB index's rows together, so one serves them all. Stores made before keep their own copies.
            return SHARED_SCALAR_INDEX

        def _connect_sync(self):
            super()._connect_sync()
            with self._lock:
                connection = self._connection
                connection.create_function("ticketing_note_tagged", 1, self._note_tagged)
                connection.create_function("ticketing_note_array", 1, self._note_array)
                for trigger in triggers:
                    connection.execute(trigger)
                # mongoeco deletes a document's TTL and array entries by (collection, document) on every write, yet
                # indexes those tables only by (collection, expiry) and (collection, index, value): each write read
                # all its collection's entries. These let it seek them.
                for table in ("ttl_index_entries", "multikey_entries"):
                    connection.execute(f"CREATE INDEX IF NOT EXISTS ticketing_{table}_by_document "
                                       f"ON {table} (collection_id, storage_key)")

        # Called by SQLite inside a write: they must never raise (that would fail the write).
        def _note_tagged(self, document):
            if not isinstance(document, str) or any(marker in document for marker in watched):
                self._wrote_watched_type = True
            if not isinstance(document, str) or '"$mongoeco"' in document.replace(own_tag, ""):
                self._wrote_foreign_marker = True

        def _holds_foreign_marker(self, db_name, coll_name):
            """Return whether a document of the collection holds a "$mongoeco" key that is not mongoeco's own tag."""
            # mongoeco stores a value it tags as {"$mongoeco":{"type":…,"value":…}}, and escapes a user's object of
            # that shape; a user's {"$mongoeco": {"value": 5}} is stored as it is, and reads as a tagged value in
            # the index expressions (ordered.py relies on there being none).
            key = (db_name, coll_name, "foreign_marker:")
            if key not in self._collection_features_cache:
                self._collection_features_cache[key] = self._require_connection().execute(
                    "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? "
                    "AND instr(replace(document, ?, ''), '\"$mongoeco\"') > 0 LIMIT 1",
                    (db_name, coll_name, own_tag)).fetchone() is not None
            return self._collection_features_cache[key]

        def _note_array(self, json_path):
            path = _dotted_path(json_path) if isinstance(json_path, str) else None
            if path is None:
                self._array_paths_unknown = True
            else:
                self._array_paths.add(path)

        def _invalidate_collection_features_cache(self, db_name=None, coll_name=None):
            # Keep the "no document has one" answers a write could not have made false instead of rescanning the
            # whole collection on the next query (O(collection size) per query on the outbox, the deliveries, the
            # inbox and the orders, which only grow). A call without a collection (a rollback, a reconnect) still
            # clears everything: it may bring back documents as they were before (SessionRuntime then puts back
            # what was known of them).
            kept = {}
            if db_name is not None and coll_name is not None:
                kept = {key: value for key, value in self._collection_features_cache.items()
                        if key[:2] == (db_name, coll_name) and value is False and self._still_false(str(key[2]))}
            super()._invalidate_collection_features_cache(db_name, coll_name)
            if kept:
                self._collection_features_cache.update(kept)

        def _still_false(self, fact):
            if fact.startswith("tagged_type:"):
                return not self._wrote_watched_type
            if fact == "foreign_marker:":
                return not self._wrote_foreign_marker
            if fact.startswith(array_facts) and not self._array_paths_unknown:
                field = fact.split(":", 1)[1]
                return not any(part.isdigit() for part in field.split(".")) and not any(
                    field == path or field.startswith(path + ".") for path in self._array_paths)
            return False

        def _rename_collection_sync(self, db_name, coll_name, new_name, context=None):
            # The renamed collection's documents may predate this server: its triggers never saw them.
            try:
                renamed = super()._rename_collection_sync(db_name, coll_name, new_name, context)
                self._rescope_indexes(db_name, coll_name, new_name)
                return renamed
            finally:
                self._invalidate_collection_features_cache()

        def _rescope_indexes(self, db_name, old_name, new_name):
            # mongoeco keeps a renamed collection's expression indexes (names and all): made over the old name's
            # documents, they would hold none of the renamed ones. Make them again over the new name's.
            with self._lock:
                conn = self._require_connection()
                was_in_transaction = conn.in_transaction
                old, new = namespace_sql(db_name, old_name), namespace_sql(db_name, new_name)
                rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                                    "'documents' AND sql LIKE ?", (f"% WHERE {old}",)).fetchall()
                for name, sql in rows:
                    conn.execute(f"DROP INDEX {self._quote_identifier(name)}")
                    conn.execute(sql[:-len(old)] + new)
                if rows and not was_in_transaction and conn.in_transaction:
                    conn.commit()

        async def _run_blocking(self, func, /, *args, **kwargs):
            # mongoeco hands every engine call to a thread pool and wakes the event loop when it is done: a thread
            # switch, a future and a wake-up write per call, for work that holds the engine's one lock anyway and,
            # behind the gate, never overlaps another command's. Run it in place.
            return func(*args, **kwargs)

        def _translate_query_plan_with_multikey(self, db_name, coll_name, plan):
            # mongoeco turns `_id` equality and `$in` into a JSON predicate evaluated on every document of the
            # collection (for `$in`, a json_each subquery per document), although each document's storage key is its
            # _id: claiming a batch of deliveries by id, or a page of tickets, cost O(collection size). A string or
            # ObjectId _id equals only the documents stored under its keys, so look those up by the primary key.
            if isinstance(plan, EqualsCondition | InCondition) and plan.field == "_id":
                values = (plan.value,) if isinstance(plan, EqualsCondition) else plan.values
                if values and all(type(value) is str or isinstance(value, ObjectId) for value in values):
                    keys = list(dict.fromkeys(key for value in values for key in self._id_storage_keys(value)))
                    return f"storage_key IN ({', '.join('?' * len(keys))})", keys
            if _strings_asked(plan):
                looked_up = self._scalar_index_lookup(db_name, coll_name, plan)
                if looked_up is not None:
                    return looked_up
            if isinstance(plan, AndCondition):
                # The other equalities of the same AND may be what a partial index holds (an order's ticket among
                # the active orders): then that index's entries answer this equality too.
                implied = {(c.field, type(c.value), c.value) for c in plan.clauses
                           if isinstance(c, EqualsCondition) and type(c.value) in (str, bool)}
                looked_up = [self._scalar_index_lookup(db_name, coll_name, c, implied) if _strings_asked(c) else None
                             for c in plan.clauses]
                if any(looked_up):
                    fragments = [fragment or self._translate_query_plan_with_multikey(db_name, coll_name, clause)
                                 for fragment, clause in zip(looked_up, plan.clauses, strict=True)]
                    return (" AND ".join(f"({sql})" for sql, _ in fragments),
                            [param for _, params in fragments for param in params])
            return super()._translate_query_plan_with_multikey(db_name, coll_name, plan)

        def _scalar_index_lookup(self, db_name, coll_name, plan, implied=frozenset()):
            # mongoeco answers a lone equality on a field with a single-field index from its scalar index entries in
            # a find, but in an update's or upsert's search, in `$in`, and in any condition it cannot answer alone,
            # it evaluates its JSON predicate (with a multikey index, an EXISTS on its array entries binding no
            # value) on every document of the collection: each upsert of a new email cost O(emails), each lookup of
            # a batch of events by aggregate O(outbox x batch). Those entries hold every string at the field of
            # every document the index holds; with no array at the field anywhere in the collection, the documents
            # they name are exactly those whose field equals one of the strings. A partial index holds only the
            # documents its filter selects: it serves when the query's other equalities (`implied`) include
            # exactly that filter, so every document the query can match is one the index holds.
            field = plan.field
            if "." in field or field == "_id":
                return None
            index = next((i for i in self._load_indexes(db_name, coll_name)
                          if i["fields"] == [field] and self._supports_scalar_index(i)
                          and i.get("scalar_physical_name") and _held(i.get("partial_filter_expression"), implied)),
                         None)
            if index is None or self._field_is_top_level_array_in_collection(db_name, coll_name, field):
                return None
            collection_id = self._lookup_collection_id(self._require_connection(), db_name, coll_name)
            values = (plan.value,) if isinstance(plan, EqualsCondition) else tuple(dict.fromkeys(plan.values))
            signatures = [self._multikey_signatures_for_query_value(value) for value in values]
            if collection_id is None or any(len(signature) != 1 for signature in signatures):
                return None
            [type_score] = {self._multikey_type_score(element_type) for [(element_type, _)] in signatures}
            keys = [element_key for [(_, element_key)] in signatures]
            return (f"storage_key IN (SELECT storage_key FROM scalar_index_entries INDEXED BY "
                    f"{self._quote_identifier(str(index['scalar_physical_name']))} WHERE collection_id = ? AND "
                    f"index_name = ? AND type_score = ? AND element_key IN ({', '.join('?' * len(keys))}))",
                    [collection_id, index["name"], type_score, *keys])

        def _id_storage_keys(self, value):
            # A storage key names the _id's Python class: the wire server stores mongoeco's ObjectId (a subclass of
            # bson's), a document written in process may hold bson's. Either is equal to an ObjectId of the other.
            if type(value) is str:
                return (self._storage_key(value),)
            return tuple(self._storage_key(kind(str(value))) for kind in (StoredObjectId, ObjectId))

        def _validate_document_against_unique_indexes(self, db_name, coll_name, document, **options):
            # mongoeco 4.11 loads and decodes EVERY document of the collection on each single insert, looking for an
            # _id equal to the new one under another numeric type (1 vs 1.0): each insert costs O(collection size)
            # and the outbox, deliveries and inbox only grow. An _id with no number in it (ObjectId, string) is equal
            # only to the same storage key, which the engine checks with its primary key first, so skip the scan.
            if options.get("scan_payload_id") and not id_contains_numeric_value(document.get("_id")):
                options["scan_payload_id"] = False
            return super()._validate_document_against_unique_indexes(db_name, coll_name, document, **options)

    return Engine
