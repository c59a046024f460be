"""Use cases of the tickets context: listing and editing tickets, and following the orders' reservations."""

import logging

from bson import ObjectId
from flask import current_app

from app.platform.documents import as_utc
from app.platform.errors import EventNotReadyError, ValidationError
from app.platform.events import emit
from app.platform.replicas import apply_in_order
from app.platform.uow import current, transactional

from . import etickets, shows
from .errors import TicketNotEditableError, TicketNotFoundError, TicketNotOwnedError
from .events import TicketCreated, TicketReservationRefused, TicketSaleRefused, TicketUpdated
from .models import AVAILABLE, RESERVED, SOLD, USED, OrderProgress, Ticket
from .money import PriceError, format_money, to_minor

log = logging.getLogger(__name__)
MAX_TITLE = 200


def validate_listing(title, price, currency):
    """Return {title, price (minor units)} from what a seller typed, or raise ValidationError naming each bad field."""
    errors = {}
    clean_title = title.strip() if isinstance(title, str) else ""
    if not clean_title:
        errors["title"] = "Title is required"
    elif not clean_title.isascii() and any("\ud800" <= c <= "\udfff" for c in clean_title):
        errors["title"] = "Title must be valid text"  # a lone surrogate ("\\ud800") cannot be stored
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = f"Title must be at most {MAX_TITLE} characters"
    try:
        minor = to_minor(price, currency)
    except PriceError as exc:
        errors["price"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return {"title": clean_title, "price": minor}


@transactional
def create_ticket(user_id, title, price, event_id=None):
    """List a ticket for sale at a major-unit price in the configured currency, for an upcoming event or none."""
    currency = current_app.config["CURRENCY"].upper()
    fields = _validate_new_listing(title, price, currency, event_id)
    ticket = current().insert(Ticket(user_id=user_id, original_seller_id=user_id, currency=currency, **fields))
    emit(TicketCreated(aggregate_id=str(ticket.id), version=ticket.version, title=ticket.title, price=ticket.price,
                       currency=ticket.currency, user_id=ticket.user_id, status=ticket.status,
                       order_id=ticket.order_id, **shows.ticket_changed(ticket)))
    return ticket


def _validate_new_listing(title, price, currency, event_id):
    errors = {}
    try:
        fields = validate_listing(title, price, currency)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        show = shows.open_event(event_id)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:  # every bad field at once, the event's included
        raise ValidationError(errors)
    return {**fields, **shows.listing_fields(fields["title"], show)}


@transactional
def update_ticket(ticket_id, user_id, title, price):
    """Change the title and price of the seller's own ticket while it is available."""
    ticket = _load(ticket_id)
    if ticket.user_id != user_id:
        raise TicketNotOwnedError()
    fields = validate_listing(title, price, ticket.currency)
    if ticket.max_price is not None and ticket.status == AVAILABLE:
        _within_resale_cap(ticket, fields)
    if ticket.status != AVAILABLE:
        raise TicketNotEditableError("Cannot edit a sold ticket" if ticket.status == SOLD else None)
    current().update(ticket, **fields)
    _emit_updated(ticket)
    return ticket


def _within_resale_cap(ticket, fields):
    # A resale listing keeps the title its buyers knew and the cap its holder's price set.
    errors = {}
    if fields["title"] != ticket.title:
        errors["title"] = "A resold ticket keeps its title"
    if fields["price"] > ticket.max_price:
        errors["price"] = f"Resale price can be at most {format_money(ticket.max_price, ticket.currency)}"
    if errors:
        raise ValidationError(errors)


@transactional
def reserve_ticket(ticket_id, order_id, order_version=0, title=None, price=None, currency=None, reserved_until=None):
    """Mark the ticket reserved by an order placed at this title and price (to be paid by `reserved_until`); return
    whether it changed.

    An order placed against an older version of the ticket (its title or price changed since) is refused with
    TicketReservationRefused, so that no order holds a ticket at another price than the ticket's own.
    """
    if not _follow_order(order_id, order_version, ticket_id):
        return False  # a redelivery
    ticket = _load_for_event(ticket_id)
    if ticket is None or order_id == ticket.order_id:
        return False
    if ticket.status == SOLD:
        return False  # sold to a later order: this one ended and its cancellation is on its way
    if ticket.status == RESERVED:
        # Orders allow one active order per ticket, so one of the two has ended and that news is still travelling.
        # Wait for it instead of guessing which one holds the ticket now.
        raise EventNotReadyError(f"ticket {ticket_id} is held by order {ticket.order_id}, not yet by {order_id}")
    if price is not None and (price, currency, title or ticket.title) != (ticket.price, ticket.currency, ticket.title):
        log.info("refusing order %s: it was placed at %s %s %r, ticket %s is now %s %s %r", order_id, price, currency,
                 title, ticket_id, ticket.price, ticket.currency, ticket.title)
        emit(TicketReservationRefused(aggregate_id=str(ticket.id), version=ticket.version, order_id=order_id,
                                      reason="ticket changed"))
        return False
    current().update(ticket, status=RESERVED, order_id=order_id, reserved_until=as_utc(reserved_until))
    _emit_updated(ticket)
    return True


@transactional
def release_ticket(ticket_id, order_id, order_version):
    """Put the ticket back on sale if this (ended) order holds it; return whether it changed."""
    if not _follow_order(order_id, order_version, ticket_id):
        return False  # a redelivery
    ticket = _load_for_event(ticket_id)
    if ticket is None or ticket.status != RESERVED or ticket.order_id != order_id:
        return False  # not the holder: its reservation came to nothing (the ticket was sold to a later order)
    current().update(ticket, status=AVAILABLE, order_id=None, reserved_until=None)
    _emit_updated(ticket)
    return True


@transactional
def sell_ticket(ticket_id, order_id, order_version, buyer_id=None, buyer_email=None):
    """Mark the ticket sold to a paid order and issue its buyer's e-ticket (voiding a reseller's), or refuse the sale
    (TicketSaleRefused) if the ticket went to another order meanwhile; return whether it changed."""
    if not _follow_order(order_id, order_version, ticket_id):
        return False  # a redelivery
    ticket = _load_for_event(ticket_id)
    if ticket is None or (ticket.status == SOLD and ticket.order_id == order_id):
        return False
    if ticket.status == SOLD:
        # Sold to another order after this one's reservation was accepted: the holder went through the door while
        # the ticket was listed. The buyer paid for nothing; orders ends the order and their money goes back.
        held = etickets.current_eticket(ticket.id)
        reason = "checked in" if held is not None and held.status == USED else "sold to another order"
        log.warning("refusing paid order %s: ticket %s is sold to order %s (%s)", order_id, ticket_id,
                    ticket.order_id, reason)
        emit(TicketSaleRefused(aggregate_id=str(ticket.id), version=ticket.version, order_id=order_id, reason=reason))
        return False
    # A paid order is final and the only active one, so it wins over any older holder whose end is still travelling.
    current().update(ticket, status=SOLD, order_id=order_id, reserved_until=None)
    if buyer_id:  # always, from OrderCompleted; a test may sell without a buyer
        etickets.issue(ticket, order_id, buyer_id, buyer_email)
    _emit_updated(ticket)
    return True


def _follow_order(order_id, version, ticket_id):
    # Tickets takes an order's events strictly in its version order: an order's end can never arrive before its
    # creation (which would reserve the ticket for an order that is over), and a redelivery changes nothing.
    return apply_in_order(OrderProgress, order_id, version, {"ticket_id": ticket_id})


def announce_change(ticket, reason=None):
    """Emit the ticket's new state (TicketUpdated, with why a resale listing went off sale) after a change of it in
    this unit of work."""
    _emit_updated(ticket, reason)


def load(ticket_id):
    """Return the ticket in the open unit of work, or raise TicketNotFoundError (also for a malformed id)."""
    return _load(ticket_id)


def _emit_updated(ticket, reason=None):
    emit(TicketUpdated(aggregate_id=str(ticket.id), version=ticket.version, title=ticket.title, price=ticket.price,
                       currency=ticket.currency, user_id=ticket.user_id, status=ticket.status,
                       order_id=ticket.order_id, reason=reason, **shows.ticket_changed(ticket)))


def _load(ticket_id):
    valid = isinstance(ticket_id, str) and ObjectId.is_valid(ticket_id)
    ticket = current().get(Ticket, id=ObjectId(ticket_id)) if valid else None
    if ticket is None:
        raise TicketNotFoundError()
    return ticket


def _load_for_event(ticket_id):
    ticket = current().get(Ticket, id=ObjectId(ticket_id)) if ObjectId.is_valid(ticket_id) else None
    if ticket is None:
        log.warning("an order refers to ticket %s, which tickets does not know", ticket_id)
    return ticket


@transactional
def create_ticket_for_new_event(user_id, title, price, name, venue, city, starts_at):
    """Announce an event and list a ticket for it at once (the sell form's "new event"), or neither."""
    errors = {}
    for validate, args in ((validate_listing, (title, price, current_app.config["CURRENCY"].upper())),
                           (shows.validate_event, (name, venue, city, starts_at))):
        try:
            validate(*args)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:  # every bad field of both at once
        raise ValidationError(errors)
    show = shows.create_event(user_id, name, venue, city, starts_at)
    return create_ticket(user_id, title, price, str(show.id))
