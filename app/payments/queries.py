"""Read-only queries of the payments context for its pages (no unit of work needed)."""

from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from app.platform.documents import as_utc

from .errors import OrderNotFoundError
from .models import PaymentEvent, PaymentOrder


@dataclass(frozen=True)
class EventFacts:
    """The dated event an order is for, as payments knows it (name and venue None when nobody told them yet)."""

    id: str
    starts_at: datetime
    name: str | None = None
    venue: str | None = None
    city: str | None = None
    utc_offset: int | None = None  # minutes east of UTC on the venue's clock; None: unknown, show the instant


def find_order(order_id):
    """Return payments' replica of the order, or raise OrderNotFoundError (also for a malformed id)."""
    order = PaymentOrder.objects(id=order_id).first() if ObjectId.is_valid(order_id) else None
    if order is None:
        raise OrderNotFoundError()
    return order


def event_of(order):
    """Return the order's event (None for none): the replica of events once it knows it, else what the order told."""
    if not order.event_id:
        return None
    replica = PaymentEvent.objects(id=order.event_id).first()
    if replica is not None:
        return EventFacts(replica.id, as_utc(replica.starts_at), replica.name, replica.venue, replica.city,
                          replica.utc_offset)
    if order.event_starts_at is None:
        return None
    return EventFacts(order.event_id, as_utc(order.event_starts_at), order.event_name, order.event_venue,
                      order.event_city, order.event_utc_offset)
