"""The outbox recorder: every emitted event is written in the same transaction as the change that caused it."""

from . import events, metrics, uow
from .documents import OutboxEvent, utcnow


def record(event):
    """Append an event to the outbox of the open unit of work and ask for a relay after commit."""
    work = uow.current()  # raises NoUnitOfWorkError: an event is never silently dropped
    work.collection(OutboxEvent).insert_one(
        {
            "_id": event.id,
            "type": event.type,
            "aggregate_id": event.aggregate_id,
            "version": event.version,
            "payload": event.to_dict(),
            "created_at": utcnow(),
            "relayed": False,
        },
        session=work.session,
    )
    work.recorded_event_ids.append(event.id)
    metrics.count_after_commit(metrics.events_committed, type=event.type)
    work.after_commit("relay-hint", lambda: _relay_hint(work.recorded_event_ids))
    # The event's context ("tickets" in "tickets.ticket_updated.v1") changed: its cached reads are stale once we commit.
    scopes = work.__dict__.setdefault("changed_contexts", set())
    scopes.add(event.type.split(".", 1)[0])
    work.after_commit("read-caches", lambda: _bump_read_caches(scopes))
    return True


def _bump_read_caches(scopes):
    from .freshness import bump

    bump(scopes)


def _relay_hint(event_ids):
    from .relay import request_relay

    request_relay(list(event_ids))


def connect_recorder():
    """Connect the recorder to the signal of every known event type."""
    for type_ in events.event_types():
        events.signal_for(type_).connect(_receiver, weak=False)


def _receiver(event):
    return record(event)
