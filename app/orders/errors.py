"""Refusals of the orders context."""

from app.platform.errors import DomainError, NotAuthorizedError, NotFoundError


class OrderNotFoundError(NotFoundError):
    message = "Order not found"


class OrderNotOwnedError(NotAuthorizedError):
    """An order is visible only to its buyer."""


class OrderAlreadyPaidError(DomainError):
    """A paid (complete) order is final."""

    message = "A paid order cannot be cancelled"


class TicketNotFoundError(NotFoundError):
    message = "Ticket not found"


class TicketAlreadyReservedError(DomainError):
    """Another active order holds the ticket (the database's unique index said so)."""

    message = "Ticket is already reserved"


class TicketAlreadySoldError(DomainError):
    message = "Ticket is already sold"


class TicketOwnedByBuyerError(DomainError):
    """Sellers cannot reserve their own tickets."""

    message = "You cannot purchase your own ticket"


class EventStartedError(DomainError):
    """The ticket's event has started: there is nothing left to reserve."""

    message = "The event has already started"
class ReservationLimitReachedError(DomainError):
    """The buyer already holds as many unpaid orders as one buyer may (MAX_ACTIVE_ORDERS_PER_BUYER)."""

    def __init__(self, limit):
        super().__init__(f"You can hold at most {limit} reservations at a time")
