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
