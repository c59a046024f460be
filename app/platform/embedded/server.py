"""The wire server: mongoeco's MongoDB wire protocol server with a gate in front of its one-transaction engine.

That engine runs one transaction at a time, fails every other session's command while one is open (reads too), and
can deadlock its own event loop when a plain write's change dispatch meets an open transaction. Real MongoDB has none
of that, so the server below puts a gate in front of the engine: a transaction holds the gate from its first command to
its commit or abort, every other command waits its turn (up to a deadline) instead of failing, and, like MongoDB's
transaction lifetime limit, a transaction whose client died or went silent is aborted so that one crash cannot wedge
the database. The unit of work still retries whatever fails after the wait.
"""

import asyncio
import signal
import socket
import time

from .engine import sqlite_engine_class


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
    from mongoeco.wire.protocol import OP_MSG, decode_op_msg, encode_op_msg_response
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    class GatedProxyServer(AsyncMongoEcoProxyServer):
        wait_seconds = 5.0
        # A healthy unit of work sends its commands milliseconds apart; a transaction silent this long belongs to a
        # client that died or hung.
        transaction_idle_seconds = 2.0

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.engine = kwargs.get("engine")
            self._gate = asyncio.Lock()
            self._holder = None  # session key of the open transaction
            self._holder_active_at = 0.0
            self._holder_connections = set()
            self._streams = {}

        async def _dispatch_wire_request(self, header, payload, *, connection):
            key, starts, ends, in_transaction = self._describe(header, payload)
            if key is None:
                # Handshakes and monitoring carry no session and touch no data; gating them would stall a transaction
                # whose client is opening a new connection.
                return await super()._dispatch_wire_request(header, payload, connection=connection)
            if key == self._holder:
                return await self._run_in_transaction(header, payload, connection, ends)
            if in_transaction and not starts:
                # A command of a transaction that is not open (the gate aborted it): the engine would run it on its
                # own, outside any transaction, and commit half of a unit of work. MongoDB answers NoSuchTransaction.
                return self._no_such_transaction(header, retryable=not ends)
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

        def _no_such_transaction(self, header, retryable):
            # Retryable only before the commit: a commit retried after a lost reply may have gone through, and
            # running the whole unit of work again would apply it twice.
            return encode_op_msg_response(
                {"ok": 0.0, "code": 251, "codeName": "NoSuchTransaction",
                 "errmsg": "Transaction was aborted (its client was silent or gone)",
                 "errorLabels": ["TransientTransactionError"] if retryable else []},
                request_id=next(self._request_ids), response_to=header.request_id)

        def _describe(self, header, payload):
            """Return (session key, starts a transaction, ends one, belongs to one) of a command."""
            if header.op_code != OP_MSG:
                return None, False, False, False
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
                    return None, False, False, False
                lsid = body.get("lsid")
            key = wire_session_key(lsid) if lsid is not None else None
            ends = "commitTransaction" in body or "abortTransaction" in body
            return key, bool(body.get("startTransaction")), ends, body.get("autocommit") is False

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


def mongo_server(path, host="127.0.0.1", port=0, aggregation_limit=None):
    """Return the (unstarted) gated wire server over the SQLite file at `path`.

    aggregation_limit: how many documents a count or an aggregation may hold in memory (None: no limit, as MongoDB).
    """
    # mongoeco refuses by default any $group/$sort/count over more than 50,000 documents (MongoDB has no such limit):
    # `flask outbox status` failed on a store with 50,000 deliveries.
    engine = sqlite_engine_class()(path, aggregation_materialization_limit=aggregation_limit)
    return gated_server_class()(engine=engine, host=host, port=port)


async def serve_mongo(path, host, port, aggregation_limit=None):
    """Serve MongoDB's wire protocol over a SQLite file until SIGINT or SIGTERM."""
    server = mongo_server(path, host, port, aggregation_limit)
    address = await server.start()
    print(f"embedded MongoDB listening on {address.uri} (data in {path})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()
