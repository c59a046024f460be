"""Base classes for mongoengine documents and the platform's own collections."""

from datetime import UTC, datetime

import mongoengine as me


def utcnow():
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value):
    """Return a datetime or ISO 8601 text as an aware UTC datetime (naive means UTC); None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)  # reads a trailing Z, as events and the API write it
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Orders that the relay, the sweeps and retention read in: each ends in _id, so no two plans answer differently, and
# each is an index of migration 0012, so the embedded server reads it in index order instead of the collection.
OUTBOX_OLDEST_FIRST = [("created_at", 1), ("version", 1), ("_id", 1)]
DELIVERIES_OLDEST_FIRST = [("created_at", 1), ("_id", 1)]


class Document(me.Document):
    """A document whose indexes come from migrations, never from import or first use."""

    meta = {"abstract": True, "auto_create_index": False, "auto_create_index_on_save": False}


class VersionedDocument(Document):
    """An aggregate: its version guards writes (optimistic concurrency) and orders its events."""

    meta = {"abstract": True}
    version = me.IntField(required=True, default=0, min_value=0)


class OutboxEvent(Document):
    """An event committed with the change that caused it, waiting to be relayed."""

    meta = {"collection": "platform_outbox"}
    id = me.StringField(primary_key=True)
    type = me.StringField(required=True)
    aggregate_id = me.StringField(required=True)
    version = me.IntField(required=True)
    payload = me.DictField(required=True)
    created_at = me.DateTimeField(required=True, default=utcnow)
    relayed = me.BooleanField(required=True, default=False)
    relayed_at = me.DateTimeField(null=True)  # retention deletes a relayed event some time after


class Delivery(Document):
    """One event still owed to one handler, or owed until lately: its attempts, lease and fate (pending, done or dead).

    Only what the relay could not apply at once gets one; the fast path writes none.
    """

    meta = {"collection": "platform_deliveries"}
    id = me.StringField(primary_key=True)  # "<event id>:<handler>"
    event_id = me.StringField(null=True)  # None for a NATS message that was not an event (kept dead, as it came)
    event_type = me.StringField(required=True)
    handler = me.StringField(required=True)
    payload = me.DictField(required=True)
    status = me.StringField(required=True, choices=("pending", "done", "dead"), default="pending")
    attempts = me.IntField(required=True, default=0)
    waits = me.IntField(required=True, default=0)
    next_attempt_at = me.DateTimeField(required=True, default=utcnow)
    enqueued_at = me.DateTimeField(required=True, default=utcnow)  # when a task was last queued for it
    lease_until = me.DateTimeField(null=True)
    last_error = me.StringField(null=True)
    created_at = me.DateTimeField(required=True, default=utcnow)
    finished_at = me.DateTimeField(null=True)  # when it was done; retention deletes it some time after
    died_at = me.DateTimeField(null=True)  # when it was given up on; only an operator deletes it


class InboxEntry(Document):
    """Proof that a handler applied an event; its unique id makes redelivery harmless while it is kept."""

    meta = {"collection": "platform_inbox"}
    id = me.StringField(primary_key=True)  # "<handler>:<event id>"
    applied_at = me.DateTimeField(required=True, default=utcnow)
