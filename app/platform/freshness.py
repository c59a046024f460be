"""Read caches kept fresh by events: a process-local copy of a query, dropped when its context commits an event.

Every committed event bumps its context's generation (after commit, like the relay hint). A cached read remembers the
generation it was computed under and is reused only while that generation is current, so a listing changes as soon
as the change that altered it commits, in every process. The generation lives in Redis when REDIS_URL is set, else in
the instance folder (one machine). READ_CACHE_SECONDS bounds the age of any copy, should a bump ever be lost (a write
that emits no event, a crash between commit and bump); 0 turns caching off. Tests (TESTING) never cache: their
fixtures wipe collections behind the app's back.
"""

import logging
import os
import threading
import time
import uuid

from flask import current_app

log = logging.getLogger(__name__)
# Keys may come from visitors (search words, pages): past this many copies the oldest go, so memory stays bounded.
MAX_ENTRIES = 2000


def _store(app):
    store = app.extensions.get("freshness")
    if store is None:
        store = _RedisGenerations(app) if app.config["REDIS_URL"] else _FileGenerations(app)
        app.extensions["freshness"] = store
    return store


class _Generations:
    """One app's generations store and its process-local copies (in app.extensions, never module state)."""

    def __init__(self):
        self.copies = {}  # (scope, key) -> (generation, computed at, value)
        self.lock = threading.Lock()


class _RedisGenerations(_Generations):
    def __init__(self, app):
        import redis

        super().__init__()
        self.client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = f"{app.config['HUEY_NAME']}:generation:"

    def current(self, scope):
        return self.client.get(self.prefix + scope)

    def bump(self, scopes):
        with self.client.pipeline(transaction=False) as pipe:
            for scope in scopes:
                pipe.incr(self.prefix + scope)
            pipe.execute()


class _FileGenerations(_Generations):
    def __init__(self, app):
        super().__init__()
        self.folder = os.path.join(app.config["INSTANCE_PATH"], "generations")
        os.makedirs(self.folder, exist_ok=True)

    def current(self, scope):
        try:
            with open(os.path.join(self.folder, scope), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def bump(self, scopes):
        for scope in scopes:
            path = os.path.join(self.folder, scope)
            tmp = f"{path}.{uuid.uuid4().hex}"
            with open(tmp, "wb") as f:
                f.write(uuid.uuid4().bytes)
            os.replace(tmp, path)  # atomic: a reader sees the old value or the new one


def bump(scopes, app=None):
    """Mark every cached read of these scopes (context names) stale, in every process of this deployment."""
    app = app or current_app._get_current_object()
    try:
        _store(app).bump(sorted(set(scopes)))
    except Exception:  # the cache's store is a hint, like the relay's: READ_CACHE_SECONDS bounds what it costs
        log.warning("could not bump read-cache generations %s; copies expire on their own", scopes, exc_info=True)


def cached(scope, key, compute, fresh=None):
    """Return compute()'s value, reused while no event of `scope` has committed since (and within the age bound);
    `fresh(value)`, when given, may also call a copy stale (a read that changes with time, say)."""
    app = current_app._get_current_object()
    max_age = app.config["READ_CACHE_SECONDS"]
    if max_age <= 0 or app.testing:
        return compute()
    try:
        # Read the generation BEFORE computing: a commit landing during compute() bumps past it, so the copy stored
        # below is already stale for the next request rather than wrongly fresh.
        store = _store(app)
        generation = store.current(scope)
    except Exception:
        log.warning("read-cache generation unavailable; reading through", exc_info=True)
        return compute()
    entry = store.copies.get((scope, key))
    now = time.monotonic()
    if (entry is not None and entry[0] == generation and now - entry[1] < max_age
            and (fresh is None or fresh(entry[2]))):
        return entry[2]
    value = compute()
    with store.lock:
        store.copies.pop((scope, key), None)  # re-inserted last: the oldest copies are the first ones
        store.copies[(scope, key)] = (generation, now, value)
        while len(store.copies) > MAX_ENTRIES:
            del store.copies[next(iter(store.copies))]
    return value
