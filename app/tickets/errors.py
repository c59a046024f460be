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
