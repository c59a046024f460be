"""Refusals of the tickets context."""

from app.platform.errors import DomainError, NotAuthorizedError, NotFoundError


class TicketNotFoundError(NotFoundError):
    message = "Ticket not found"


class TicketNotOwnedError(NotAuthorizedError):
    """Only the seller may change a ticket."""

    message = "Only the seller can edit this ticket"


class TicketNotEditableError(DomainError):
    """A reserved or sold ticket keeps the title and price the buyer saw."""

    status_code = 400
    message = "Cannot edit a reserved ticket"


class EventNotFoundError(NotFoundError):
    message = "Event not found"


class EventNotOwnedError(NotAuthorizedError):
    """Only the organiser may change an event."""

    message = "Only the organiser can edit this event"


class EventStartedError(DomainError):
    """An event that has started is over for the marketplace: no edits, no new tickets."""

    status_code = 400
    message = "The event has already started"


class ETicketNotFoundError(NotFoundError):
    """Unknown codes and codes the caller may not see look the same: a code is never confirmed to a stranger."""

    message = "E-ticket not found"


class ETicketAlreadyUsedError(DomainError):
    """The code was checked in before (the door shows when)."""

    status_code = 409

    def __init__(self, checked_in_at):
        self.checked_in_at = checked_in_at  # ISO 8601 UTC, as the API writes every time
        super().__init__(f"Already checked in at {checked_in_at}")


class ETicketVoidError(DomainError):
    """The ticket was resold: this code no longer opens the door, the new holder's does."""

    status_code = 410
    message = "This e-ticket is void: the ticket was resold"


class TicketNotHeldError(NotAuthorizedError):
    """Only the ticket's holder may resell it or withdraw its resale."""

    message = "Only the ticket's holder can resell it"


class TicketNotResellableError(DomainError):
    """The ticket cannot be put back on sale (or taken off) as it is now; the message says why."""

    status_code = 400
    message = "This ticket cannot be resold"

