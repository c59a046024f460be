"""Events the orders context publishes."""

from dataclasses import dataclass

from app.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    """A buyer reserved an available ticket (version 0); it must be paid before `expires_at` (ISO 8601, UTC).

    `title`, `price` and `currency` are the ticket as orders' replica showed it to the buyer: the tickets context
    accepts the reservation only if its ticket still reads the same (`title` is None in events from before it was
    carried). Never fires for a ticket that already has an active order, nor for a ticket whose event has started.
    """

    type = "orders.order_created.v1"
    user_id: str
    status: str
    expires_at: str
    ticket_id: str
    price: int
    currency: str
    title: str | None = None  # the ticket's title as the buyer reserved it (None in older events)
    # The ticket's dated event, when it has one (`expires_at` is never later than its start).
    event_id: str | None = None
    event_name: str | None = None
    event_venue: str | None = None
    event_city: str | None = None
    event_starts_at: str | None = None
    event_utc_offset: int | None = None  # minutes east of UTC on the venue's clock (None: unknown, or an older event)
    user_email: str | None = None  # the buyer's email as their session told it (None: an order from before)


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    """An order ended: the buyer cancelled it, it expired, tickets refused it because the seller changed the
    ticket before the reservation reached it, the ticket's resale was withdrawn before it was paid, or the holder's
    code was checked in at the door while the ticket was listed for resale (`reason`: cancelled, expired, ticket
    changed, withdrawn, checked in; "sold to another order" is the catch-all of the last). An order also expires when
    its ticket's event starts.

    Fires for a paid (complete) order only when tickets refused to sell it the ticket (TicketSaleRefused: reason
    checked in, or sold to another order); its payment is then rejected in the same transaction
    (OrderPaymentRejected) and refunded. Never fires twice for one order.
    """

    type = "orders.order_cancelled.v1"
    user_id: str
    ticket_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderCompleted(Event):
    """The order was paid in time and is complete; its ticket is sold to `user_id`. Fires once per order."""

    type = "orders.order_completed.v1"
    user_id: str
    ticket_id: str
    payment_id: str
    user_email: str | None = None  # the buyer's email (the name on their e-ticket); None for an order from before


@dataclass(frozen=True, kw_only=True)
class OrderPaymentRejected(Event):
    """A payment arrived for an order that is no longer payable (cancelled, expired, ticket changed, withdrawn,
    already paid), or paid an order that then got no ticket (checked in: the holder was let in at the door first); it
    must be refunded. `reason` is the order's.

    `aggregate_id`/`version` are the order's, unchanged by this event (the order itself did not change).
    """

    type = "orders.order_payment_rejected.v1"
    payment_id: str
    reason: str
