"""Events the tickets context publishes. Each carries the ticket's whole state at that version."""

from dataclasses import dataclass

from app.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class TicketCreated(Event):
    """A user listed a ticket for sale (version 0). Price is in minor units of `currency`."""

    type = "tickets.ticket_created.v1"
    title: str
    price: int
    currency: str
    user_id: str
    status: str = "available"
    order_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketUpdated(Event):
    """The ticket changed: its owner edited it, or an order reserved, released or bought it (next version).

    `status` is available, reserved or sold; `order_id` is the order holding it, or None when available.
    """

    type = "tickets.ticket_updated.v1"
    title: str
    price: int
    currency: str
    user_id: str
    status: str
    order_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketReservationRefused(Event):
    """Tickets refused an order's reservation: the order was placed against an older title or price than the
    ticket has now (the seller changed it before the reservation arrived). The order must end (`reason`:
    "ticket changed"); the ticket itself did not change, so `version` is its current one, unchanged.
    """

    type = "tickets.ticket_reservation_refused.v1"
    order_id: str
    reason: str
