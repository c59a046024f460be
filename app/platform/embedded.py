"""Embedded stand-ins for production services, for a machine where nothing is configured.

`python -m app.platform.embedded mongo --path FILE --port N` serves the MongoDB wire protocol from mongoeco's SQLite
engine. That engine runs one transaction at a time, fails every other session's command while one is open (reads
too), and can deadlock its own event loop when a plain write's change dispatch meets an open transaction. Real MongoDB
has none of that, so the server below puts a gate in front of the engine: a transaction holds the gate from its first
command to its commit or abort, every other command waits its turn (up to a deadline) instead of failing, and, like
MongoDB's transaction lifetime limit, a transaction whose client died or went silent is aborted so that one crash
cannot wedge the database. The unit of work still retries whatever fails after the wait.
"""

import argparse
import asyncio
import re
import signal
import socket
import time


def wait_for_port(host, port, timeout=30.0, process=None):
    """Wait until host:port accepts connections; raise if it does not in time or the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {host}:{port} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def free_port():
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _body_section(payload):
    """Return the raw BSON of an OP_MSG's body section (kind 0), skipping document sequences (kind 1)."""
    position = 4  # flag bits
    while position < len(payload):
        kind = payload[position]
        size = int.from_bytes(payload[position + 1:position + 5], "little", signed=True)
        if kind == 0:
            return payload[position + 1:position + 1 + size]
        position += 1 + size
    raise ValueError("OP_MSG without a body section")


def gated_server_class():
    """Return mongoeco's wire server with a gate that queues commands behind the open transaction."""
    import bson
    from bson.raw_bson import RawBSONDocument
    from mongoeco.wire._session_identity import wire_session_key
    from mongoeco.wire.bson_bridge import decode_wire_value
    from mongoeco.wire.protocol import OP_MSG, decode_op_msg
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    class GatedProxyServer(AsyncMongoEcoProxyServer):
        wait_seconds = 5.0
        # A healthy unit of work sends its commands milliseconds apart; a transaction silent this long belongs to a
        # client that died or hung.
        transaction_idle_seconds = 2.0

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._gate = asyncio.Lock()
            self._holder = None  # session key of the open transaction
            self._holder_active_at = 0.0
            self._holder_connections = set()
            self._streams = {}

        async def _dispatch_wire_request(self, header, payload, *, connection):
            key, starts, ends = self._describe(header, payload)
            if key is None:
                # Handshakes and monitoring carry no session and touch no data; gating them would stall a transaction
                # whose client is opening a new connection.
                return await super()._dispatch_wire_request(header, payload, connection=connection)
            if key == self._holder:
                return await self._run_in_transaction(header, payload, connection, ends)
            if not await self._enter(connection):
                return await super()._dispatch_wire_request(header, payload, connection=connection)
            if self._client_gone():
                # The client gave up while queued (its timeout closed the socket): running its command now, above all
                # a transaction start, would hold the gate for nobody.
                self._gate.release()
                return None
            if starts:
                self._holder, self._holder_active_at = key, time.monotonic()
                self._holder_connections = {connection.connection_id}
                return await self._run_in_transaction(header, payload, connection, ends)
            try:
                return await super()._dispatch_wire_request(header, payload, connection=connection)
            finally:
                self._gate.release()

        async def _run_in_transaction(self, header, payload, connection, ends):
            self._holder_active_at = time.monotonic()
            self._holder_connections.add(connection.connection_id)
            try:
                return await super()._dispatch_wire_request(header, payload, connection=connection)
            finally:
                self._holder_active_at = time.monotonic()
                if ends or self._client._engine._transaction_owner_session_id is None:
                    self._release_holder()

        async def _enter(self, connection):
            deadline = time.monotonic() + self.wait_seconds
            # One acquire for the whole wait: cancelling and re-trying it every tick would send this command to the
            # back of the queue each time, and under load a command could wait behind ever newer ones.
            acquire = asyncio.ensure_future(self._gate.acquire())
            while True:
                done, _ = await asyncio.wait({acquire}, timeout=0.25)
                if done:
                    return True
                self._abort_if_abandoned()
                if time.monotonic() > deadline:
                    # cancel() is False only if the gate was handed over meanwhile: then this command holds it.
                    return not acquire.cancel()  # False: the engine answers "busy", the client's retries take over

        def _describe(self, header, payload):
            if header.op_code != OP_MSG:
                return None, False, False
            try:
                # Only the command's own document, lazily: decoding the whole message here (every document of an
                # insert, in Python) would double the server's decoding work; the engine decodes it once anyway.
                body = RawBSONDocument(_body_section(payload))
                raw_lsid = body.get("lsid")
                lsid = None if raw_lsid is None else decode_wire_value(bson.decode(raw_lsid.raw))
            except Exception:
                try:
                    body = decode_op_msg(header, payload).body
                except Exception:
                    return None, False, False
                lsid = body.get("lsid")
            key = wire_session_key(lsid) if lsid is not None else None
            ends = "commitTransaction" in body or "abortTransaction" in body
            return key, bool(body.get("startTransaction")), ends

        def _release_holder(self):
            if self._holder is not None:
                self._holder = None
                self._holder_connections = set()
                self._gate.release()

        def _abort_holder(self, why):
            print(f"aborting a transaction whose client {why}", flush=True)
            for context in list(self._session_store._sessions.values()):
                if context.key == self._holder and context.session.transaction_active:
                    context.session.abort_transaction()
            self._release_holder()

        def _abort_if_abandoned(self):
            if self._holder is not None and time.monotonic() - self._holder_active_at > self.transaction_idle_seconds:
                self._abort_holder(f"was silent for over {self.transaction_idle_seconds}s")

        def _client_gone(self):
            streams = self._streams.get(asyncio.current_task())
            return streams is not None and (streams[0].at_eof() or streams[1].is_closing())

        async def _handle_connection(self, reader, writer):
            self._streams[asyncio.current_task()] = (reader, writer)
            try:
                await super()._handle_connection(reader, writer)
            finally:
                self._streams.pop(asyncio.current_task(), None)
                live = set(self._connections._connections)
                if self._holder is not None and not (self._holder_connections & live):
                    self._abort_holder("disconnected")

    return GatedProxyServer


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


def sqlite_engine_class():
    """Return mongoeco's SQLite engine without its change log, its thread per call and its scans per write."""
    from dataclasses import replace

    from bson import ObjectId
    from mongoeco.core.filtering import EqualsCondition, InCondition
    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.engines import sqlite
    from mongoeco.engines.sqlite import SQLiteEngine

    # Change streams: the app never opens one, yet mongoeco writes every change (the whole document, serialized) to
    # a change log in SQLite and, after each write, starts a heartbeat thread and takes a lease to dispatch that log.
    # That was about half of the server's time per write. This server does not offer change streams.
    sqlite._sqlite_append_change = lambda *args, **kwargs: None

    # Planning facts mongoeco asks about a queried field before every query that the last write to the collection
    # made it forget, each a scan of the whole collection: does any document hold a Decimal128/bytes/undefined value
    # there, or an array at or on the way to it (asked for every equality on a field without a multikey index).
    watched = tuple(f'"type":"{t}"' for t in ("decimal", "decimal128", "decimal128_public", "bytes", "undefined"))
    array_facts = ("top_level_array:", "traverses_array:")
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

    class Engine(SQLiteEngine):
        capabilities = replace(SQLiteEngine.capabilities, change_delivery="none")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # What this server has written since it started, recorded by SQLite triggers as each write runs (so
            # before any query can see it), and never forgotten: a fact is kept across a write only while no
            # written document could have made it false.
            self._wrote_watched_type = False
            self._array_paths = set()  # dotted path of every array written (not looking inside arrays)
            self._array_paths_unknown = False  # an array under a key the dotted form cannot name

        def _connect_sync(self):
            super()._connect_sync()
            with self._lock:
                connection = self._connection
                connection.create_function("ticketing_note_tagged", 1, self._note_tagged)
                connection.create_function("ticketing_note_array", 1, self._note_array)
                for trigger in triggers:
                    connection.execute(trigger)

        # Called by SQLite inside a write: they must never raise (that would fail the write).
        def _note_tagged(self, document):
            if not isinstance(document, str) or any(marker in document for marker in watched):
                self._wrote_watched_type = True

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
            # clears everything: it may bring back documents as they were before.
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
            if fact.startswith(array_facts) and not self._array_paths_unknown:
                field = fact.split(":", 1)[1]
                return not any(part.isdigit() for part in field.split(".")) and not any(
                    field == path or field.startswith(path + ".") for path in self._array_paths)
            return False

        def _rename_collection_sync(self, *args, **kwargs):
            # The renamed collection's documents may predate this server: its triggers never saw them.
            try:
                return super()._rename_collection_sync(*args, **kwargs)
            finally:
                self._invalidate_collection_features_cache()

        async def _run_blocking(self, func, /, *args, **kwargs):
            # mongoeco hands every engine call to a thread pool and wakes the event loop when it is done: a thread
            # switch, a future and a wake-up write per call, for work that holds the engine's one lock anyway and,
            # behind the gate, never overlaps another command's. Run it in place.
            return func(*args, **kwargs)

        def _translate_query_plan_with_multikey(self, db_name, coll_name, plan):
            # mongoeco turns `_id` equality and `$in` into a JSON predicate evaluated on every document of the
            # collection (for `$in`, a json_each subquery per document), although each document's storage key is its
            # _id: claiming a batch of deliveries by id cost O(collection size). A string or ObjectId _id equals only
            # the document stored under the same key, so look those up by the primary key instead.
            if isinstance(plan, EqualsCondition | InCondition) and plan.field == "_id":
                values = (plan.value,) if isinstance(plan, EqualsCondition) else plan.values
                if values and all(type(value) in (str, ObjectId) for value in values):
                    keys = list(dict.fromkeys(self._storage_key(value) for value in values))
                    return f"storage_key IN ({', '.join('?' * len(keys))})", keys
            return super()._translate_query_plan_with_multikey(db_name, coll_name, plan)

        def _validate_document_against_unique_indexes(self, db_name, coll_name, document, **options):
            # mongoeco 4.11 loads and decodes EVERY document of the collection on each single insert, looking for an
            # _id equal to the new one under another numeric type (1 vs 1.0): each insert costs O(collection size)
            # and the outbox, deliveries and inbox only grow. An _id with no number in it (ObjectId, string) is equal
            # only to the same storage key, which the engine checks with its primary key first, so skip the scan.
            if options.get("scan_payload_id") and not id_contains_numeric_value(document.get("_id")):
                options["scan_payload_id"] = False
            return super()._validate_document_against_unique_indexes(db_name, coll_name, document, **options)

    return Engine


async def serve_mongo(path, host, port):
    """Serve MongoDB's wire protocol over a SQLite file until SIGINT or SIGTERM."""
    server = gated_server_class()(engine=sqlite_engine_class()(path), host=host, port=port)
    address = await server.start()
    print(f"embedded MongoDB listening on {address.uri} (data in {path})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv=None):
    """Run an embedded service named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="service", required=True)
    mongo = sub.add_parser("mongo")
    mongo.add_argument("--path", required=True)
    mongo.add_argument("--host", default="127.0.0.1")
    mongo.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.service == "mongo":
        asyncio.run(serve_mongo(args.path, args.host, args.port))


if __name__ == "__main__":
    main()
