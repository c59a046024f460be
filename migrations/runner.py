"""Apply numbered migrations once each, under a lock so that several containers may start together."""

import importlib
import os
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo.errors import DuplicateKeyError

_NAME = re.compile(r"^(\d{4})_\w+\.py$")
LOCK_SECONDS = 120


def discover():
    """Return the migration modules in order, each with NAME set to its module name."""
    modules = []
    for path in sorted(Path(__file__).parent.iterdir()):
        if _NAME.match(path.name):
            module = importlib.import_module(f"migrations.{path.stem}")
            module.NAME = path.stem
            modules.append(module)
    return modules


def _applies(module, contexts):
    return module.CONTEXT == "platform" or module.CONTEXT in contexts


def status(db, contexts):
    """Return (name, applied) for every migration of the served contexts."""
    applied = {doc["_id"] for doc in db.migrations.find({}, {"_id": 1})}
    return [(m.NAME, m.NAME in applied) for m in discover() if _applies(m, contexts)]


def upgrade(db, contexts, wait_seconds=LOCK_SECONDS):
    """Apply the pending migrations of the served contexts; return the names applied by this call."""
    holder = f"{socket.gethostname()}:{os.getpid()}"
    _acquire(db, holder, wait_seconds)
    try:
        done = {doc["_id"] for doc in db.migrations.find({}, {"_id": 1})}
        applied = []
        for module in discover():
            if module.NAME in done or not _applies(module, contexts):
                continue
            module.upgrade(db)
            db.migrations.insert_one({"_id": module.NAME, "applied_at": datetime.now(UTC)})
            applied.append(module.NAME)
        return applied
    finally:
        db.migrations_lock.delete_one({"_id": "lock", "holder": holder})


def _acquire(db, holder, wait_seconds):
    deadline = time.monotonic() + wait_seconds
    while True:
        now = datetime.now(UTC)
        try:
            # The lock is a document with a fixed id: the upsert can only win when the lock is free or expired.
            db.migrations_lock.find_one_and_update(
                {"_id": "lock", "expires_at": {"$lt": now}},
                {"$set": {"holder": holder, "expires_at": now + timedelta(seconds=LOCK_SECONDS)}},
                upsert=True,
            )
            return
        except DuplicateKeyError:
            if time.monotonic() > deadline:
                raise TimeoutError("another process holds the migration lock") from None
            time.sleep(0.2)


def replace_index(collection, keys, name, **options):
    """Make `collection`'s index `name` the one on `keys`, dropping an older index of that name first."""
    if name in collection.index_information():
        collection.drop_index(name)
    collection.create_index(keys, name=name, **options)
