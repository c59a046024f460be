"""The unit of work: one MongoDB transaction per use case, retried on transient conflicts.

Services are the only code that writes, and they write through the current unit of work so that their changes and
the events they emit (recorded in the outbox) commit or vanish together.
"""

import functools
import logging
import random
import time
from contextvars import ContextVar

import pymongo
from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from .errors import DatabaseBusyError, DatabaseUnavailableError, NoUnitOfWorkError, StaleWriteError

log = logging.getLogger(__name__)
_current: ContextVar["UnitOfWork | None"] = ContextVar("unit_of_work", default=None)

# The embedded server runs one transaction at a time and rejects a second one (or a conflicting commit) without the
# TransientTransactionError label real MongoDB uses, so these messages count as transient too.
_TRANSIENT_MESSAGES = ("active transaction bound to another session", "does not own the active SQLite transaction",
                       "database is locked", "Write conflict", "WriteConflict")


class UnitOfWork:
    """One open transaction: the session, and what to do once it commits."""

    def __init__(self, session, db):
        self.session = session
        self.db = db
        self._after_commit = {}
        self.recorded_event_ids = []

    def collection(self, document_class):
        """Return the pymongo collection behind a mongoengine document class."""
        return self.db[document_class._get_collection_name()]

    def insert(self, document):
        """Validate and insert a new document in this transaction."""
        if document.pk is None:
            document.pk = ObjectId()
        document.validate()
        self.collection(type(document)).insert_one(document.to_mongo(), session=self.session)
        document._created = False
        return document

    def get(self, document_class, **query):
        """Return the one document matching `query`, or None."""
        raw = self.collection(document_class).find_one(_query(document_class, query), session=self.session)
        return None if raw is None else document_class._from_son(raw)

    def find(self, document_class, query=None, sort=None, limit=0):
        """Return the documents matching a raw pymongo `query`."""
        cursor = self.collection(document_class).find(query or {}, session=self.session, sort=sort, limit=limit)
        return [document_class._from_son(raw) for raw in cursor]

    def update(self, document, **changes):
        """Apply `changes` to a versioned document if nobody changed it since it was read; bump its version."""
        document_class = type(document)
        for name, value in changes.items():
            setattr(document, name, value)
        document.validate()
        son = document.to_mongo()
        fields = {document_class._fields[name].db_field: son.get(document_class._fields[name].db_field)
                  for name in changes}
        raw = self.collection(document_class).find_one_and_update(
            {"_id": document.pk, "version": document.version},
            {"$set": fields, "$inc": {"version": 1}},
            session=self.session,
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            raise StaleWriteError()
        document.version = raw["version"]
        return document

    def after_commit(self, key, callback):
        """Run `callback` once after this transaction commits (deduplicated by key; a None key is never a duplicate)."""
        self._after_commit.setdefault(object() if key is None else key, callback)

    def enqueue_after_commit(self, name, *args, eta=None, delay=None):
        """Queue the task declared under `name` once this transaction commits (never for a rolled-back one)."""
        from .queue import enqueue

        self.after_commit(("task", name, args), lambda: enqueue(name, *args, eta=eta, delay=delay))

    def _run_after_commit(self):
        for callback in self._after_commit.values():
            try:
                callback()
            except Exception:
                # After-commit work is a hint (e.g. relay now); the sweep covers anything that fails here.
                log.exception("after-commit callback failed; the sweep will catch up")


def _query(document_class, query):
    fields = document_class._fields
    out = {}
    for name, value in query.items():
        if name in ("id", "pk"):
            out["_id"] = value
        else:
            out[fields[name].db_field if name in fields else name] = value
    return out


def current():
    """Return the open unit of work, or raise if there is none."""
    uow = _current.get()
    if uow is None:
        raise NoUnitOfWorkError("no unit of work is open: call a service (a @transactional function)")
    return uow


def in_unit_of_work():
    """Return whether a unit of work is open in this context."""
    return _current.get() is not None


def is_transient(exc):
    """Return whether a failed transaction may succeed if tried again."""
    if isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError"):
        return True
    if isinstance(exc, ConnectionFailure) and not isinstance(exc, ServerSelectionTimeoutError):
        return True
    return isinstance(exc, OperationFailure) and any(m in str(exc) for m in _TRANSIENT_MESSAGES)


def transactional(fn):
    """Run the decorated service in a unit of work, joining one that is already open."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _current.get() is not None:
            return fn(*args, **kwargs)
        return run_in_transaction(fn, *args, **kwargs)

    return wrapper


def run_in_transaction(fn, *args, **kwargs):
    """Call fn inside a new transaction, retrying transient failures with jittered backoff until the deadline."""
    from flask import current_app

    mongo = current_app.extensions["mongo"]
    deadline = time.monotonic() + current_app.config["TRANSACTION_DEADLINE_SECONDS"]
    delay = 0.005
    while True:
        try:
            # The deadline bounds every command of the attempt too: a request never waits on the database forever.
            with pymongo.timeout(max(deadline - time.monotonic(), 0.05)):
                return _attempt(mongo, fn, args, kwargs)
        except ServerSelectionTimeoutError as exc:
            if exc.timeout and time.monotonic() >= deadline:
                raise DatabaseBusyError() from exc
            raise DatabaseUnavailableError() from exc
        except PyMongoError as exc:
            if exc.timeout:
                log.warning("transaction ran out of time: %s", exc)
                raise DatabaseBusyError() from exc
            if not is_transient(exc):
                raise
            if time.monotonic() + delay > deadline:
                log.warning("transaction kept conflicting until its deadline: %s", exc)
                raise DatabaseBusyError() from exc
        # Full jitter: contenders spread out instead of colliding again in lockstep.
        time.sleep(random.uniform(0, delay))
        delay = min(delay * 2, 0.25)


def _attempt(mongo, fn, args, kwargs):
    with mongo.client.start_session() as session:
        uow = UnitOfWork(session, mongo.db)
        token = _current.set(uow)
        try:
            session.start_transaction(read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority"))
            try:
                result = fn(*args, **kwargs)
            except BaseException:
                if session.in_transaction:
                    _abort_quietly(session)
                raise
            _commit(session)
        finally:
            _current.reset(token)
    uow._run_after_commit()
    return result


def _commit(session):
    for _ in range(5):
        try:
            session.commit_transaction()
            return
        except PyMongoError as exc:
            if exc.has_error_label("UnknownTransactionCommitResult"):
                continue
            if session.in_transaction:
                _abort_quietly(session)
            raise
    session.commit_transaction()


def _abort_quietly(session):
    try:
        session.abort_transaction()
    except PyMongoError:
        log.debug("abort after a failure also failed", exc_info=True)
