"""Read-only queries of the tickets context, for the API and the pages (no unit of work needed)."""

from bson import ObjectId

from app.platform.freshness import cached

from .errors import TicketNotFoundError
from .models import AVAILABLE, Ticket


def find_ticket(ticket_id):
    """Return the ticket with this id, or raise TicketNotFoundError; a malformed id is not found either."""
    ticket = Ticket.objects(id=ObjectId(ticket_id)).first() if ObjectId.is_valid(ticket_id) else None
    if ticket is None:
        raise TicketNotFoundError()
    return ticket


def available_tickets(skip=0, limit=0):
    """Return the tickets available for purchase, newest first (read-only: shared by requests until tickets change)."""
    # The busiest read of the store (home page, API listing): served from a copy kept fresh by the tickets' events.
    return cached("tickets", ("available", skip, limit), lambda: list(
        Ticket.objects(status=AVAILABLE).order_by("-created_at", "-id").skip(skip).limit(limit)))
