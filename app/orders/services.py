"""Use cases of the orders context: placing, cancelling, expiring and completing orders, and the tickets replica."""

import logging
from datetime import timedelta

from bson import ObjectId
from flask import current_app
from pymongo.errors import DuplicateKeyError

from app.platform import metrics
from app.platform.documents import as_utc, utcnow
from app.platform.errors import EventNotReadyError
from app.platform.events import emit
from app.platform.replicas import apply_in_order
from app.platform.uow import current, transactional

from . import shows
from .errors import (
    OrderAlreadyPaidError,
    OrderNotFoundError,
    OrderNotOwnedError,
    ReservationLimitReachedError,
    TicketAlreadyReservedError,
    TicketAlreadySoldError,
    TicketNotFoundError,
    TicketOwnedByBuyerError,
)
from .events import OrderCancelled, OrderCompleted, OrderCreated, OrderPaymentRejected
from .models import (
    CANCELLED,
    CHECKED_IN,
    COMPLETE,
    CREATED,
    SOLD_TO_ANOTHER,
    TICKET_CHANGED,
    UNPAID,
    WITHDRAWN,
    BuyerHolds,
    Order,
    TicketReplica,
    TicketSnapshot,
)

log = logging.getLogger(__name__)
SWEEP_BATCH = 200


@transactional
def place_order(user_id, ticket_id, user_email=None):
    """Reserve an available ticket for a buyer (with their email, for their e-ticket) until now +
    ORDER_EXPIRATION_SECONDS."""
    work = current()
    ticket = work.get(TicketReplica, id=ticket_id) if isinstance(ticket_id, str) else None
    if ticket is None:
        raise TicketNotFoundError(field="ticketId")
    if ticket.user_id == user_id:
        raise TicketOwnedByBuyerError(field="ticketId")
    if ticket.status == "sold":
        raise TicketAlreadySoldError(field="ticketId")
    now = _now_ms()
    event = shows.event_of(ticket, now)  # refuses a ticket whose event has started
    order = Order(
        id=ObjectId(), user_id=user_id, status=CREATED, ticket_id=ticket_id, active=True, created_at=now,
        expires_at=shows.expiry(now + timedelta(seconds=current_app.config["ORDER_EXPIRATION_SECONDS"]), event),
        ticket=TicketSnapshot(id=ticket_id, title=ticket.title, price=ticket.price, currency=ticket.currency),
        event_id=ticket.event_id, user_email=user_email,
    )
    try:
        # The invariant lives in the database: a unique index on ticket_id over active orders. No read-then-write.
        work.insert(order)
    except DuplicateKeyError:
        raise TicketAlreadyReservedError(field="ticketId") from None
    # After the order: in a sell-out most buyers lose the race above, and a loser's transaction then ends one write
    # sooner. A buyer at the limit rolls the order back with it.
    _take_hold(user_id, str(order.id))
    emit(OrderCreated(aggregate_id=str(order.id), version=order.version, user_id=user_id, status=order.status,
                      expires_at=iso_utc(order.expires_at), ticket_id=ticket_id, price=ticket.price,
                      currency=ticket.currency, title=ticket.title, user_email=user_email,
                      **shows.order_event_fields(event)))
    # Only a committed order gets a timer; the sweep finds the order again if Huey loses it.
    work.enqueue_after_commit("orders.expire_order", str(order.id), eta=order.expires_at)
    metrics.count_after_commit(metrics.orders, outcome="placed")
    return order


@transactional
def cancel_order(order_id, user_id):
    """Cancel the buyer's unpaid order; cancelling a cancelled order changes nothing."""
    order = _load(order_id)
    if order.user_id != user_id:
        raise OrderNotOwnedError()
    if order.status == COMPLETE:
        raise OrderAlreadyPaidError()
    if order.status == CANCELLED:
        return order
    _cancel(order, "cancelled")
    return order


@transactional
def expire_order(order_id):
    """Cancel the order if it is still unpaid and its time is up; return whether it did."""
    order = current().get(Order, id=ObjectId(order_id)) if ObjectId.is_valid(order_id) else None
    # A timer for a paid or already cancelled order does nothing: it may only ever end its own unpaid order.
    if order is None or order.status not in UNPAID or (order.expires_at > utcnow() and not shows.started(order)):
        return False
    _cancel(order, "expired")
    metrics.observe_after_commit(metrics.expiry_lateness, (utcnow() - order.expires_at).total_seconds())
    return True


def cancel_overdue_orders():
    """Expire every unpaid order whose time is up (finds the timers Huey lost); return how many it expired."""
    now = utcnow()
    # One status at a time, soonest due first: each is a range of the `overdue` index (migration 0012).
    overdue = [order for status in UNPAID for order in Order.objects(status=status, expires_at__lte=now)
               .order_by("expires_at", "id").only("id").limit(SWEEP_BATCH)]
    expired = 0
    for order in overdue[:SWEEP_BATCH]:
        try:
            expired += expire_order(str(order.id))
        except Exception:
            # One order that fails must not keep the others from expiring; the next sweep tries it again.
            log.exception("could not expire overdue order %s", order.id)
    if expired:
        log.info("sweep expired %s overdue orders", expired)
    return expired


@transactional
def complete_order(order_id, payment_id, paid_at=None):
    """Mark the order paid; a payment for an order that can no longer be paid is rejected (to be refunded)."""
    order = current().get(Order, id=ObjectId(order_id)) if ObjectId.is_valid(order_id) else None
    if order is None:
        log.error("payment %s is for order %s, which orders does not know", payment_id, order_id)
        return False
    if order.status == COMPLETE:
        if order.payment_id != payment_id:
            _reject_payment(order, payment_id, "already paid")
        return False
    if order.status == CANCELLED:
        _reject_payment(order, payment_id, order.cancel_reason or "cancelled")
        return False
    if shows.started(order, paid_at):  # money that came once the show began buys nothing: it goes back
        _reject_payment(order, payment_id, "event started")
        return False
    ticket = current().get(TicketReplica, id=order.ticket_id)
    if ticket is None or ticket.order_id != str(order.id):
        # Tickets has not accepted this reservation yet: it may still refuse it (the ticket changed under the buyer),
        # and then this money must go back. Wait for its answer; the order never completes at a stale price.
        raise EventNotReadyError(f"order {order.id}: tickets has not accepted the reservation of {order.ticket_id}")
    # Paid before the timer ran, even if just past expires_at: the money is in and the ticket is still ours.
    current().update(order, status=COMPLETE, payment_id=payment_id)
    _release_hold(order)
    emit(OrderCompleted(aggregate_id=str(order.id), version=order.version, user_id=order.user_id,
                        ticket_id=order.ticket_id, payment_id=payment_id, user_email=order.user_email))
    metrics.count_after_commit(metrics.orders, outcome="completed")
    return True


@transactional
def cancel_for_changed_ticket(order_id, ticket_id):
    """Cancel an unpaid order tickets refused because the ticket changed before the reservation reached it."""
    order = current().get(Order, id=ObjectId(order_id)) if ObjectId.is_valid(order_id) else None
    if order is None or order.ticket_id != ticket_id:
        log.error("tickets refused order %s for ticket %s, which orders does not know", order_id, ticket_id)
        return False
    if order.status not in UNPAID:
        if order.status == COMPLETE:  # cannot happen: an order completes only once tickets accepted it
            log.error("tickets refused order %s, which is already paid", order_id)
        return False
    _cancel(order, TICKET_CHANGED)
    return True


@transactional
def end_refused_sale(order_id, ticket_id, reason):
    """End an order whose ticket tickets refused to sell it (the holder went through the door first) and reject its
    payment, to be refunded; an order already ended changes nothing."""
    order = current().get(Order, id=ObjectId(order_id)) if ObjectId.is_valid(order_id) else None
    if order is None or order.ticket_id != ticket_id:
        log.error("tickets refused to sell ticket %s to order %s, which orders does not know", ticket_id, order_id)
        return False
    if order.status == CANCELLED:
        return False  # ended already, and its payment (if any) rejected then: a redelivery refunds nothing twice
    paid = order.status == COMPLETE
    _cancel(order, CHECKED_IN if reason == CHECKED_IN else SOLD_TO_ANOTHER)
    if paid:
        _reject_payment(order, order.payment_id, order.cancel_reason)
    # The order the ticket is sold to holds its slot again, if orders' replica already knows which one that is (else
    # that news, still on its way, does it).
    replica = current().get(TicketReplica, id=ticket_id)
    if replica is not None and replica.status == "sold" and ObjectId.is_valid(replica.order_id or ""):
        _give_slot_back(ticket_id, replica.order_id)
    return True


@transactional
def record_ticket(ticket_id, version, title, price, currency, user_id, status, order_id, event_id=None,
                  starts_at=None, reason=None):
    """Apply one version of a ticket to the replica, strictly after the version before it; a resale (or its end, for
    `reason`) moves which order holds the ticket's one slot."""
    changed = apply_in_order(TicketReplica, ticket_id, version, {
        "title": title, "price": price, "currency": currency, "user_id": user_id, "status": status,
        "order_id": order_id, "event_id": event_id, "starts_at": as_utc(starts_at),
    })
    if changed and status == "available" and version > 0:
        # Version 0 is a new listing: no order can hold a ticket orders did not know of until now.
        _free_slot_for_resale(ticket_id)
    elif changed and status == "sold" and ObjectId.is_valid(order_id or ""):
        _give_slot_back(ticket_id, order_id, reason)
    return changed


def _free_slot_for_resale(ticket_id):
    # The holder put their bought ticket back on sale: the order that bought it keeps being complete (and its buyer's
    # history), but no longer holds the ticket's slot, so the next buyer's order can.
    work = current()
    work.collection(Order).update_many({"ticket_id": ticket_id, "active": True, "status": COMPLETE},
                                       {"$set": {"active": False}}, session=work.session)


def _give_slot_back(ticket_id, order_id, reason=None):
    # Sold again to an order that bought it before: the holder withdrew the resale (or was let in at the door). Their
    # order holds the slot again; an unpaid order placed meanwhile ends for that reason. A paid one keeps the slot
    # until tickets answers its completion: it sells it the ticket, or refuses (TicketSaleRefused: the holder's code
    # was checked in first), and then end_refused_sale ends it and gives the slot back.
    work = current()
    holder = work.get(Order, ticket_id=ticket_id, active=True)
    if holder is not None and holder.id == ObjectId(order_id):
        return
    if holder is not None and holder.status == COMPLETE:
        return
    if holder is not None:
        _cancel(holder, CHECKED_IN if reason == CHECKED_IN else WITHDRAWN)
    work.collection(Order).update_one({"_id": ObjectId(order_id), "ticket_id": ticket_id, "status": COMPLETE},
                                      {"$set": {"active": True}}, session=work.session)


@transactional
def record_eticket(order_id, code):
    """Remember the code tickets issued for a completed order, to show its buyer (harmless to repeat)."""
    if not ObjectId.is_valid(order_id):
        return False
    work = current()
    result = work.collection(Order).update_one({"_id": ObjectId(order_id)}, {"$set": {"eticket_code": code}},
                                               session=work.session)
    return result.modified_count == 1


def _take_hold(user_id, order_id):
    # One conditional write, no read first: the order's id joins the buyer's holds only while fewer than the limit
    # are there. At the limit the filter matches nothing and the upsert collides with the buyer's document on _id.
    limit = current_app.config["MAX_ACTIVE_ORDERS_PER_BUYER"]
    work = current()
    try:
        work.collection(BuyerHolds).update_one(
            {"_id": user_id, f"order_ids.{max(limit, 1) - 1}": {"$exists": False}},
            {"$push": {"order_ids": order_id}}, upsert=True, session=work.session)
    except DuplicateKeyError:
        raise ReservationLimitReachedError(limit) from None


def _release_hold(order):
    work = current()
    work.collection(BuyerHolds).update_one({"_id": order.user_id}, {"$pull": {"order_ids": str(order.id)}},
                                           session=work.session)


record_event = shows.record_event


def iso_utc(moment):
    """Return an aware datetime as ISO 8601 UTC with milliseconds and a Z, as JavaScript's toISOString does."""
    return moment.astimezone(utcnow().tzinfo).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cancel(order, reason):
    current().update(order, status=CANCELLED, active=False, cancel_reason=reason)
    _release_hold(order)
    metrics.count_after_commit(metrics.orders, outcome="expired" if reason == "expired" else "cancelled")
    emit(OrderCancelled(aggregate_id=str(order.id), version=order.version, user_id=order.user_id,
                        ticket_id=order.ticket_id, reason=reason))


def _reject_payment(order, payment_id, reason):
    log.warning("rejecting payment %s for order %s: %s", payment_id, order.id, reason)
    emit(OrderPaymentRejected(aggregate_id=str(order.id), version=order.version, payment_id=payment_id,
                              reason=reason))


def _load(order_id):
    order = current().get(Order, id=ObjectId(order_id)) if ObjectId.is_valid(order_id) else None
    if order is None:
        raise OrderNotFoundError()
    return order


def _now_ms():
    # MongoDB keeps milliseconds: trim now so the stored expiry is exactly the one the timer and the API see.
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
