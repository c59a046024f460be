"""Use cases of a ticket after its sale: the door checks its code in, and its holder resells it (or withdraws that).

A resale puts the sold ticket back on sale with the holder as its seller, at most RESALE_MAX_MARKUP_PERCENT above what
the holder paid. Until a new buyer's order completes, the holder's code stays valid; the completion voids it and
issues the new buyer's (services.sell_ticket). A code checked in while its ticket is listed takes the listing off
sale in the same transaction, so nobody can buy a ticket that is already through the door; a buyer who had reserved
it loses the reservation, and one whose payment was already on its way is refused (TicketSaleRefused) and refunded.
"""

from bson import ObjectId
from flask import current_app

from app.platform.documents import as_utc
from app.platform.errors import StaleWriteError, ValidationError
from app.platform.events import emit
from app.platform.money import format_money
from app.platform.uow import current, transactional

from . import etickets, services
from .errors import (
    ETicketAlreadyUsedError,
    ETicketVoidError,
    EventStartedError,
    TicketNotHeldError,
    TicketNotResellableError,
)
from .events import ETicketCheckedIn
from .models import AVAILABLE, RESERVED, SOLD, USED, VALID, VOID, ETicket, Ticket
from .money import PriceError, to_minor
from .shows import iso_utc


@transactional
def check_in(code, user_id, event_id=None):
    """Let the holder of a valid code in, once, at the door `user_id` keeps (of `event_id`, when given)."""
    work = current()
    eticket = etickets.at_door(code, user_id, event_id, work.get)
    _refuse_spent(eticket)
    now = etickets.now_ms()
    # Conditional on the code being valid still: of many scans at once exactly one turns it used.
    changed = work.collection(ETicket).update_one(
        {"_id": eticket.pk, "status": VALID, "version": eticket.version},
        {"$set": {"status": USED, "checked_in_at": now}, "$inc": {"version": 1}}, session=work.session)
    if changed.modified_count != 1:
        _refuse_spent(work.get(ETicket, id=eticket.pk))
        raise StaleWriteError()
    eticket.status, eticket.checked_in_at, eticket.version = USED, now, eticket.version + 1
    _take_off_sale(eticket)
    emit(ETicketCheckedIn(aggregate_id=str(eticket.id), version=eticket.version, ticket_id=eticket.ticket_id,
                          holder_id=eticket.holder_id, checked_in_at=iso_utc(now), event_id=eticket.event_id))
    return eticket


@transactional
def resell_ticket(ticket_id, user_id, price):
    """Put the holder's bought ticket back on sale at a price within the resale cap; return the ticket."""
    ticket = services.load(ticket_id)
    held = _held_by(ticket, user_id)
    if held.status == USED:
        raise TicketNotResellableError("A checked-in ticket cannot be resold")
    if ticket.status != SOLD:
        raise TicketNotResellableError("This ticket is already for sale")
    _refuse_started(ticket)
    try:
        minor = to_minor(price, ticket.currency)
    except PriceError as exc:
        raise ValidationError({"price": str(exc)}) from None
    cap = resale_cap(held.price)
    if minor > cap:
        raise ValidationError({"price": f"Resale price can be at most {format_money(cap, ticket.currency)}"})
    current().update(ticket, status=AVAILABLE, user_id=user_id, order_id=None, price=minor, max_price=cap,
                     reserved_until=None)
    services.announce_change(ticket)
    return ticket


@transactional
def withdraw_resale(ticket_id, user_id):
    """Take the holder's unreserved resale listing off sale: the ticket is theirs again, their code unchanged."""
    ticket = services.load(ticket_id)
    held = _held_by(ticket, user_id)
    if ticket.status == SOLD:
        raise TicketNotResellableError("This ticket is not for sale")
    if ticket.status == RESERVED:
        raise TicketNotResellableError("A buyer has reserved this ticket; it can be withdrawn if their reservation "
                                       "ends")
    current().update(ticket, status=SOLD, order_id=held.order_id, reserved_until=None)
    services.announce_change(ticket, reason="withdrawn")


def resale_cap(paid):
    """Return the highest resale price (minor units) of a ticket its holder paid `paid` for."""
    return paid * (100 + current_app.config["RESALE_MAX_MARKUP_PERCENT"]) // 100


def _held_by(ticket, user_id):
    held = etickets.current_eticket(ticket.id)
    if held is not None and held.holder_id == user_id:
        return held
    if ticket.user_id == user_id:  # its seller (or a former holder who resold it): theirs to list, not to resell
        raise TicketNotResellableError("Only a ticket you hold can be resold")
    raise TicketNotHeldError()


def _refuse_started(ticket):
    # The ticket's copy of its event's start (kept by the catalogue's services) closes the sale.
    if ticket.event_id and as_utc(ticket.on_sale_until) <= etickets.now_ms():
        raise EventStartedError()


def _refuse_spent(eticket):
    if eticket.status == VOID:
        raise ETicketVoidError()
    if eticket.status == USED:
        raise ETicketAlreadyUsedError(iso_utc(as_utc(eticket.checked_in_at)))


def _take_off_sale(eticket):
    ticket = current().get(Ticket, id=ObjectId(eticket.ticket_id))
    if ticket is not None and ticket.status != SOLD:  # listed for resale: the holder is in, nobody may buy it now
        # A buyer who reserved it meanwhile gets nothing: orders ends their order, and refunds it if it was paid.
        current().update(ticket, status=SOLD, order_id=eticket.order_id, reserved_until=None)
        services.announce_change(ticket, reason="checked in")
