"""Events the tickets context publishes. Each carries its aggregate's whole state at that version (a ticket, or a
dated event — called a show here only to keep it apart from the domain `Event` these classes are)."""

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
    event_id: str | None = None  # the dated event it is for; None for a ticket listed without one
    starts_at: str | None = None  # that event's start (ISO 8601 UTC) when the ticket changed; its own events say more


@dataclass(frozen=True, kw_only=True)
class TicketUpdated(Event):
    """The ticket changed: its owner edited it, or an order reserved, released or bought it (next version).

    `status` is available, reserved or sold; `order_id` is the order holding it, or None when available. A holder's
    resale puts a sold ticket back to available with `user_id` = the holder (the orders that bought it before no
    longer hold it); a withdrawn resale (or one whose code was checked in meanwhile) makes it sold again to the
    holder's own order, and `reason` says which ("withdrawn" or "checked in"): an unpaid order of another buyer that
    still holds the ticket in orders' eyes ends for that reason.
    """

    type = "tickets.ticket_updated.v1"
    title: str
    price: int
    currency: str
    user_id: str
    status: str
    order_id: str | None = None
    event_id: str | None = None
    starts_at: str | None = None
    reason: str | None = None  # why a resale listing went off sale with this version; None for every other change


@dataclass(frozen=True, kw_only=True)
class ShowState(Event, abstract=True):
    """A dated event's whole state, as each of its events carries it.

    `starts_at` is ISO 8601 UTC; `utc_offset` is the venue's offset from UTC in minutes as the organiser gave it.
    """

    name: str
    venue: str
    city: str
    starts_at: str
    utc_offset: int
    organizer_id: str


@dataclass(frozen=True, kw_only=True)
class EventScheduled(ShowState):
    """A user announced a dated event that tickets can be listed for (version 0)."""

    type = "tickets.event_scheduled.v1"


@dataclass(frozen=True, kw_only=True)
class EventUpdated(ShowState):
    """The organiser changed the event's name, venue, city or start (next version; the whole new state).

    Never fires once the event has started. A new `starts_at` applies to every ticket of the event.
    """

    type = "tickets.event_updated.v1"


@dataclass(frozen=True, kw_only=True)
class TicketReservationRefused(Event):
    """Tickets refused an order's reservation: the order was placed against an older title or price than the
    ticket has now (the seller changed it before the reservation arrived). The order must end (`reason`:
    "ticket changed"); the ticket itself did not change, so `version` is its current one, unchanged.
    """

    type = "tickets.ticket_reservation_refused.v1"
    order_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TicketSaleRefused(Event):
    """Tickets refused to sell the ticket to a paid order: it had accepted the order's reservation, but before the
    order's completion arrived the ticket went to another order — its holder's code was checked in at the door while
    the ticket was listed for resale (`reason`: "checked in"; "sold to another order" for any other way, which no
    flow takes today). The order must end and its payment go back; the ticket did not change, so `version` is its
    current one, unchanged. Fires at most once per order (with the order's completion); never for an order that
    tickets sold the ticket to.
    """

    type = "tickets.ticket_sale_refused.v1"
    order_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ETicketIssued(Event):
    """An order completed and its buyer now holds the ticket: `code` is their e-ticket (version 0 of the e-ticket).

    Fires once per completed order, in the transaction that marks the ticket sold. The code is a secret shared only
    with the buyer (orders shows it on the buyer's own order); on a resale the seller's code is void at the same
    moment (ETicketVoided).
    """

    type = "tickets.eticket_issued.v1"
    code: str
    ticket_id: str
    order_id: str
    holder_id: str
    event_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ETicketVoided(Event):
    """A resale of the ticket completed: the former holder's code no longer opens the door (next version)."""

    type = "tickets.eticket_voided.v1"
    ticket_id: str
    order_id: str  # the order the void code was issued for
    holder_id: str


@dataclass(frozen=True, kw_only=True)
class ETicketCheckedIn(Event):
    """The door let the holder in: the code is used from `checked_in_at` (ISO 8601 UTC) on (next version, once)."""

    type = "tickets.eticket_checked_in.v1"
    ticket_id: str
    holder_id: str
    checked_in_at: str
    event_id: str | None = None
