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
