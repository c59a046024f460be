"""The event base class, the catalog of event types, and emission through blinker signals.

Plain Python only: context `events` modules build on this and must stay importable without Flask or a database.
"""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import ClassVar

import blinker

_signals = blinker.Namespace()
_catalog: dict[str, type["Event"]] = {}


class EventNotRecordedError(RuntimeError):
    """An event was emitted but nothing recorded it (no outbox recorder is connected)."""


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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
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
        return event_cls(**{k: v for k, v in data.items() if k in names})


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
