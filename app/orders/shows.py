"""What orders knows of the dated events tickets are for: their start, from its replica of the tickets' events.

A ticket can be reserved only until its event starts, and an order can never be paid for an event that has started:
a new order's expiry is capped at the start (so its timer, or the sweep, cancels it then, and payments refuses an
attempt from then on), an order whose event is moved earlier gets a timer for the new start, and money that arrives
once the event has started is rejected (and so refunded), whatever the order's own expiry says.
"""

from dataclasses import dataclass
from datetime import datetime

from app.platform.documents import as_utc, utcnow
from app.platform.replicas import apply_in_order
from app.platform.uow import current, transactional

from .errors import EventStartedError
from .models import UNPAID, EventReplica, Order, TicketReplica


@dataclass(frozen=True)
class EventFacts:
    """The event of a ticket as orders knows it (name and venue unknown until its own event arrives)."""

    id: str
    starts_at: datetime
    name: str | None = None
    venue: str | None = None
    city: str | None = None
    utc_offset: int | None = None  # minutes east of UTC on the venue's clock


def event_of(ticket, now):
    """Return the facts of the replica ticket's event (None for a ticket without one); refuse one that has started."""
    if not ticket.event_id:
        return None
    replica = current().get(EventReplica, id=ticket.event_id)
    if replica is not None:
        facts = EventFacts(ticket.event_id, as_utc(replica.starts_at), replica.name, replica.venue, replica.city,
                           replica.utc_offset)
    elif ticket.starts_at is not None:
        # The event's own news has not arrived yet; the ticket's event told its start when the ticket changed.
        facts = EventFacts(ticket.event_id, as_utc(ticket.starts_at))
    else:
        return None
    if facts.starts_at <= now:
        raise EventStartedError(field="ticketId")
    return facts


def expiry(deadline, event):
    """Return when a new order must be paid by: its usual deadline, but never after its event starts."""
    return deadline if event is None else min(deadline, event.starts_at)


def order_event_fields(event):
    """Return the event fields of an OrderCreated for this event (all None for none)."""
    if event is None:
        return {}
    return {"event_id": event.id, "event_name": event.name, "event_venue": event.venue, "event_city": event.city,
            "event_starts_at": event.starts_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event_utc_offset": event.utc_offset}


def start_of(order):
    """Return when the order's event starts as orders knows it, or None (no event, or none known yet)."""
    if not order.event_id:
        return None
    replica = current().get(EventReplica, id=order.event_id)
    if replica is not None:
        return as_utc(replica.starts_at)
    ticket = current().get(TicketReplica, id=order.ticket_id)
    return as_utc(ticket.starts_at) if ticket is not None else None


def started(order, at=None):
    """Return whether the order's event had started at `at` (ISO text or datetime; default now)."""
    start = start_of(order)
    return start is not None and start <= (as_utc(at) if at else utcnow())


@transactional
def record_event(event_id, version, name, venue, city, starts_at, utc_offset):
    """Apply one version of an event to the replica, strictly after the version before it; an order the event now
    outlasts gets a timer at the new start."""
    start = as_utc(starts_at)
    changed = apply_in_order(EventReplica, event_id, version, {
        "name": name, "venue": venue, "city": city, "starts_at": start, "utc_offset": utc_offset})
    if changed and version > 0:
        work = current()
        for order in work.find(Order, {"event_id": event_id}):
            if order.status in UNPAID and as_utc(order.expires_at) > start:
                work.enqueue_after_commit("orders.expire_order", str(order.id), eta=start)
    return changed

