"""The embedded MongoDB server run in a thread of the test process, so a test can see its engine's planning facts."""

import asyncio
import threading
from contextlib import contextmanager

from app.platform import embedded


def facts_of(engine, collection, database="ticketing"):
    """Return the engine's planning facts about one collection as {fact: answer}."""
    return {key[2]: value for key, value in dict(engine._collection_features_cache).items()
            if key[:2] == (database, collection)}


@contextmanager
def running(server):
    """Run a (gated) wire server on its own event loop in a thread of this process; yield its URI."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="embedded-mongo", daemon=True)
    thread.start()
    try:
        address = asyncio.run_coroutine_threadsafe(server.start(), loop).result(30)
        yield f"mongodb://127.0.0.1:{address.port}/ticketing?directConnection=true"
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def served_in_thread(path, engine=None, **options):
    """Serve `path` (or `engine`) on a free port from a thread of this process; yield (engine, uri)."""
    if engine is None:
        server = embedded.mongo_server(str(path), port=0, **options)
    else:
        server = embedded.gated_server_class()(engine=engine, host="127.0.0.1", port=0)
    with running(server) as uri:
        yield server.engine, uri


def traced_engine_class(statements):
    """Return the server's engine class recording every SQL statement its connections run into `statements`."""

    class Traced(embedded.sqlite_engine_class()):
        def _create_sqlite_connection(self):
            connection = super()._create_sqlite_connection()
            connection.set_trace_callback(statements.append)
            return connection

        def _connect_sync(self):
            super()._connect_sync()
            self._connection.set_trace_callback(statements.append)

    return Traced


def forget_cached_collections():
    """Make every document class look its collection up again: mongoengine caches it on first use, bound to whichever
    client was active then, so switching to (or back from) another server must rebind them."""
    from mongoengine.base.common import _document_registry

    for cls in _document_registry.values():
        if not cls._meta.get("abstract"):
            cls._collection = None


def vm_steps(raw, statement):
    """Return how many hundreds of SQLite VM steps `statement` takes on the sqlite3 connection `raw`."""
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    raw.set_progress_handler(count, 100)
    try:
        raw.execute(statement).fetchall()
    finally:
        raw.set_progress_handler(None, 0)
    return steps[0]
