"""The event catalogue: every published event declares its type once; shared fields live in abstract bases."""

from dataclasses import dataclass, fields

import pytest

from app.platform.events import Event, event_class
from app.tickets.events import EventScheduled, EventUpdated, ShowState


def test_an_event_without_a_type_is_refused():
    with pytest.raises(TypeError, match="must declare its type"):
        @dataclass(frozen=True, kw_only=True)
        class Untyped(Event):
            note: str


def test_a_dated_events_two_events_share_its_state_and_travel_as_before():
    assert [f.name for f in fields(EventScheduled)] == [f.name for f in fields(EventUpdated)]
    assert {"name", "venue", "city", "starts_at", "utc_offset", "organizer_id"} <= {f.name for f in fields(ShowState)}
    updated = EventUpdated(aggregate_id="e1", version=1, name="Gig", venue="Hall", city="Lyon",
                           starts_at="2027-01-01T20:00:00Z", utc_offset=60, organizer_id="u1")
    payload = updated.to_dict()
    assert payload["type"] == "tickets.event_updated.v1" and payload["city"] == "Lyon"
    assert Event.from_dict(payload) == updated
    assert event_class("tickets.event_scheduled.v1") is EventScheduled
    with pytest.raises(KeyError):
        event_class(ShowState.type)  # the shared base is never published: it has no type of its own
