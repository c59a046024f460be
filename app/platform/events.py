"""The event base class, the catalog of event types, and emission through blinker signals.

Plain Python only: context `events` modules build on this and must stay importable without Flask or a database.
"""

import contextlib
import contextvars
import dataclasses
import uuid
from datetime import UTC, datetime
from typing import ClassVar

import blinker

_signals = blinker.Namespace()
_catalog: dict[str, type["Event"]] = {}
# The chain the code running now belongs to: (correlation id, id and type of the event being handled, or None).
_chain: contextvars.ContextVar[tuple[str, str | None, str | None] | None] = contextvars.ContextVar(
    "event_chain", default=None)


class EventNotRecordedError(RuntimeError):
    """An event was emitted but nothing recorded it (no outbox recorder is connected)."""


def _correlation_id():
    chain = _chain.get()
    return chain[0] if chain else uuid.uuid4().hex  # nothing started this work (a timer): a chain of its own


def _causation_id():
    chain = _chain.get()
    return chain[1] if chain else None


def start_chain(correlation_id):
    """Make events emitted from here on start the chain `correlation_id` (a request's id); return a reset token."""
    return _chain.set((correlation_id, None, None))


def end_chain(token):
    """Leave the chain entered by start_chain()."""
    _chain.reset(token)


@contextlib.contextmanager
def caused_by(event):
    """Emit events inside the block as consequences of `event`: same correlation id, caused by its id."""
    token = _chain.set((event.correlation_id or event.id, event.id, event.type))
    try:
        yield
    finally:
        _chain.reset(token)


@contextlib.contextmanager
def in_chain(correlation_id):
    """Emit events inside the block as part of the chain `correlation_id`, if given (a purchase resumed later)."""
    if not correlation_id:
        yield
        return
    token = _chain.set((correlation_id, None, None))
    try:
        yield
    finally:
        _chain.reset(token)


def current_chain():
    """Return (correlation id, id and type of the event being handled) of the work running now, or None."""
    return _chain.get()


def utcnow_iso():
    """Return the current UTC time as an ISO 8601 string."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to one aggregate; subclasses add their own primitive fields."""

    type: ClassVar[str] = ""
    aggregate_id: str
    version: int
    id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: str = dataclasses.field(default_factory=utcnow_iso)
    # One purchase, followed: the request (or timer) that started the chain, and the event that led to this one.
    correlation_id: str = dataclasses.field(default_factory=_correlation_id)
    causation_id: str | None = dataclasses.field(default_factory=_causation_id)

    def __init_subclass__(cls, abstract=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return  # fields shared by several events, never published as such
        if not cls.type:
            raise TypeError(f"{cls.__name__} must declare its type string, e.g. 'orders.order_created.v1'")
        if cls.type in _catalog and _catalog[cls.type].__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {cls.type!r} is declared twice")
        _catalog[cls.type] = cls

    def to_dict(self):
        """Return the event as a dict of primitives, with its type."""
        return {"type": self.type, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data):
        """Rebuild an event of the right class from `to_dict()` output."""
        event_cls = event_class(data["type"])
        names = {f.name for f in dataclasses.fields(event_cls)}
        # An event written before events carried their chain: its own chain, caused by nothing we know.
        fields = {"correlation_id": data.get("id"), "causation_id": None}
        return event_cls(**fields | {k: v for k, v in data.items() if k in names})


def event_class(type_):
    """Return the event class registered for a type string."""
    try:
        return _catalog[type_]
    except KeyError:
        raise KeyError(f"unknown event type {type_!r}; is its events module imported?") from None


def event_types():
    """Return every event type known to this process."""
    return sorted(_catalog)


def signal_for(type_):
    """Return the blinker signal that carries events of a type."""
    return _signals.signal(type_)


def emit(event):
    """Send an event on its signal; fail unless a receiver recorded it."""
    results = signal_for(event.type).send(event)
    if not any(recorded for _receiver, recorded in results):
        raise EventNotRecordedError(f"{event.type} was emitted but not recorded: is the outbox recorder wired?")
