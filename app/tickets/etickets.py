"""E-tickets, as the tickets context issues them: the code a ticket's holder shows at the door.

A code is `secrets.token_urlsafe(24)` (192 random bits): it cannot be guessed, so knowing it is what opening the door
takes. It is issued in the transaction that marks the ticket sold to a completed order; a resale's completion voids
the previous holder's code in that same transaction, so there is never a moment with two codes that open the door
(a unique partial index on the ticket's current code says so in the database too). Only the holder sees their code;
at the door only the event's organiser (for a ticket without an event: its first seller) can look one up.
"""

import logging
import re
import secrets

from bson import ObjectId

from app.platform.documents import utcnow
from app.platform.events import emit
from app.platform.uow import current

from .errors import ETicketNotFoundError
from .events import ETicketIssued, ETicketVoided
from .models import VOID, ETicket, Sale, Show

log = logging.getLogger(__name__)
# What token_urlsafe makes, with room to spare: anything else is refused before it reaches a query.
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_code():
    """Return a fresh e-ticket code: URL-safe text of 192 random bits."""
    return secrets.token_urlsafe(24)


def well_formed(code):
    """Return whether `code` can be an e-ticket code at all (checked before any query)."""
    return isinstance(code, str) and CODE_PATTERN.fullmatch(code) is not None


def now_ms():
    """Return now, trimmed to the millisecond MongoDB keeps (what is stored is what the API answers)."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def current_eticket(ticket_id):
    """Return the ticket's current (valid or used) e-ticket in the open unit of work, or None."""
    return current().get(ETicket, ticket_id=str(ticket_id), current=True)


def issue(ticket, order_id, buyer_id, buyer_email):
    """Give the buyer of a completed order the ticket's new code (voiding the previous holder's) and record the sale."""
    work = current()
    now = now_ms()
    previous = current_eticket(ticket.id)
    if previous is not None:
        work.update(previous, status=VOID, current=False, voided_at=now)
        emit(ETicketVoided(aggregate_id=str(previous.id), version=previous.version, ticket_id=previous.ticket_id,
                           order_id=previous.order_id, holder_id=previous.holder_id))
    eticket = work.insert(ETicket(
        code=new_code(), ticket_id=str(ticket.id), order_id=order_id, holder_id=buyer_id, holder_email=buyer_email,
        event_id=ticket.event_id, seller_id=ticket.user_id, door_id=ticket.original_seller_id or ticket.user_id,
        title=ticket.title, price=ticket.price, currency=ticket.currency, issued_at=now))
    work.insert(Sale(order_id=order_id, ticket_id=str(ticket.id), seller_id=ticket.user_id, buyer_id=buyer_id,
                     price=ticket.price, currency=ticket.currency, sold_at=now))
    emit(ETicketIssued(aggregate_id=str(eticket.id), version=eticket.version, code=eticket.code,
                       ticket_id=eticket.ticket_id, order_id=order_id, holder_id=buyer_id, event_id=ticket.event_id))
    return eticket


def at_door(code, user_id, event_id, get):
    """Return the e-ticket with this code if `user_id` keeps its door (and it is for `event_id`, when given), else
    raise ETicketNotFoundError; `get(cls, **query)` reads (in a unit of work or not)."""
    if not well_formed(code):
        raise ETicketNotFoundError()
    eticket = get(ETicket, code=code)
    if eticket is None or (event_id is not None and eticket.event_id != event_id):
        raise ETicketNotFoundError()
    if eticket.event_id:
        show = get(Show, id=ObjectId(eticket.event_id)) if ObjectId.is_valid(eticket.event_id) else None
        keeper = show.organizer_id if show is not None else None
    else:
        keeper = eticket.door_id
    if keeper != user_id:
        raise ETicketNotFoundError()
    return eticket
