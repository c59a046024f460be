"""Use cases of the notifications context: keep its records from events, write the emails owed, send them once.

An email is written in the same transaction as the handler's inbox entry (the handler calls one of these services,
and the platform runs it in the inbox's transaction), under a unique key (event, recipient, kind): a redelivered
event writes nothing new. After commit a task sends it: the task claims it under a lease, hands it to the SMTP
server, and marks it sent. A failure is retried with exponential backoff; after MAIL_MAX_ATTEMPTS it is dead, shown
by `flask mail status` and revived by `flask mail retry --dead`. The sweep queues again any email whose task Huey lost.
"""

import logging
import random
from datetime import timedelta

from bson import ObjectId
from flask import current_app
from pymongo import ReturnDocument

from app.platform.documents import as_utc, utcnow
from app.platform.errors import EventNotReadyError
from app.platform.queue import enqueue
from app.platform.replicas import apply_in_order
from app.platform.uow import current, transactional

from . import emails, mailer
from .errors import RecipientUnknownError
from .models import DEAD, PENDING, SENT, Email, OrderRecord, Recipient, ShowRecord, TicketRecord

log = logging.getLogger(__name__)
# How long a handler waits for facts another event brings (an order's creation, for its end) before it concludes
# they will never come: the order or account predates this context, which started listening after it.
FACTS_WAIT_SECONDS = 300
MAX_BACKOFF_SECONDS = 3600
SEND_TASK = "notifications.send_email"


# --- records built from other contexts' events --------------------------------------------------------------------

@transactional
def welcome_user(user_id, version, email, event_id):
    """Remember a new account's address and write its welcome email."""
    _remember(Recipient, user_id, {"email": email, "version": version})
    _write(event_id, user_id, "welcome", {"email": email, "home_url": emails.link("/"),
                                          "sell_url": emails.link("/tickets/new")}, to=email)


@transactional
def record_ticket(ticket_id, version, title, price, currency, seller_id, status, order_id, event_id, show_id=None):
    """Apply a version of a ticket to the record, in version order; tell the seller when it has just sold."""
    known = current().get(TicketRecord, id=ticket_id) if status == "sold" else None
    fields = {"title": title, "price": price, "currency": currency, "user_id": seller_id, "status": status,
              "order_id": order_id, "event_id": show_id}
    # A ticket listed before this context listened starts its record from the first version seen.
    if not apply_in_order(TicketRecord, ticket_id, version, fields, first_seen_ok=True):
        return False  # applied already, or older than what we hold
    if status == "sold" and (known is None or known.status != "sold"):
        _write(event_id, seller_id, "ticket_sold", {
            **_show_facts(ticket_id),
            "title": title, "price": emails.money(price, currency), "ticket_url": emails.link(f"/tickets/{ticket_id}"),
            "sell_url": emails.link("/tickets/new")})
    return True


@transactional
def record_show(show_id, version, name, venue, city, starts_at, utc_offset):
    """Apply a version of a dated event to the record, in version order; return whether it changed."""
    return apply_in_order(ShowRecord, show_id, version, {
        "name": name, "venue": venue, "city": city, "starts_at": as_utc(starts_at), "utc_offset": utc_offset})


# --- the buyer's emails ---------------------------------------------------------------------------------------------

@transactional
def announce_reservation(order_id, version, user_id, ticket_id, title, price, currency, expires_at, occurred_at,
                         event_id):
    """Remember what a buyer reserved and write the "reserved, pay by …" email."""
    title = title or _ticket_title(ticket_id)
    expires = as_utc(expires_at)
    _remember(OrderRecord, order_id, {
        "user_id": user_id, "ticket_id": ticket_id, "title": title, "price": price, "currency": currency,
        "expires_at": expires, "version": version})
    _write(event_id, user_id, "reservation_held", {
        **_show_facts(ticket_id),
        "title": title, "price": emails.money(price, currency), "pay_by": emails.utc_words(expires),
        "pay_by_clock": expires.strftime("%H:%M UTC"),
        "window": emails.duration_words((expires - as_utc(occurred_at)).total_seconds()),
        "order_url": emails.link(f"/orders/{order_id}")})


@transactional
def announce_payment(order_id, occurred_at, event_id):
    """Write the "payment received" email of an order that was paid in time."""
    order = _order_facts(order_id, occurred_at)
    if order is None:
        return
    _write(event_id, order.user_id, "payment_received", {
        **_show_facts(order.ticket_id),
        "title": order.title, "amount": emails.money(order.price, order.currency),
        "order_url": emails.link(f"/orders/{order_id}")})


@transactional
def announce_reservation_end(order_id, reason, occurred_at, event_id):
    """Write the "your reservation expired / was cancelled" email, linking the ticket if it is for sale again."""
    work = current()
    order = _order_facts(order_id, occurred_at)
    if order is None:
        return
    ticket = work.get(TicketRecord, id=order.ticket_id)
    # This event is what puts the ticket back on sale, so our record may still show it held by this very order.
    for_sale = ticket is None or ticket.status == "available" or (
        ticket.status == "reserved" and ticket.order_id in (None, order_id))
    _write(event_id, order.user_id, "reservation_ended", {
        "title": order.title, "reason": reason, "ended": "expired" if reason == "expired" else "was cancelled",
        "pay_by": emails.utc_words(order.expires_at), "price": emails.money(order.price, order.currency),
        "ticket_url": emails.link(f"/tickets/{order.ticket_id}") if for_sale else None,
        "home_url": emails.link("/")})


@transactional
def announce_refund(order_id, amount, currency, reason, occurred_at, event_id):
    """Write the "refund issued" email: how much, why, and when the money arrives."""
    order = _order_facts(order_id, occurred_at)
    if order is None:
        return
    reason_words, meaning = emails.refund_reason(reason)
    _write(event_id, order.user_id, "refund_issued", {
        "title": order.title, "amount": emails.money(amount, currency), "reason": reason_words,
        "meaning": meaning, "expect": emails.REFUND_EXPECTATION, "order_url": emails.link(f"/orders/{order_id}")})


def _remember(document_class, key, fields):
    """Write a record that facts never change once known (an address, a reservation), keeping the first one."""
    # An upsert, not an insert caught on its duplicate key: on MongoDB a write error aborts the whole transaction.
    work = current()
    work.collection(document_class).update_one({"_id": key}, {"$setOnInsert": fields}, upsert=True,
                                               session=work.session)


def _order_facts(order_id, occurred_at):
    order = current().get(OrderRecord, id=order_id)
    if order is not None:
        return order
    age = (utcnow() - as_utc(occurred_at)).total_seconds()
    if age < FACTS_WAIT_SECONDS:
        raise EventNotReadyError(f"order {order_id} is not known to notifications yet")
    log.warning("no email about order %s: it was placed before notifications listened", order_id)
    return None


def _show_facts(ticket_id):
    """Return the dated event a ticket is for, as the emails name it ({"show": None, ...} when none is known)."""
    work = current()
    ticket = work.get(TicketRecord, id=ticket_id)
    show = work.get(ShowRecord, id=ticket.event_id) if ticket is not None and ticket.event_id else None
    if show is None:
        return {"show": None, "show_where": None, "show_when": None}
    return {"show": show.name, "show_where": f"{show.venue}, {show.city}",
            "show_when": emails.local_words(show.starts_at, show.utc_offset)}


def _ticket_title(ticket_id):
    ticket = current().get(TicketRecord, id=ticket_id)
    return ticket.title if ticket is not None else "your ticket"


def _write(source, user_id, kind, facts, to=None):
    """Write one email in the current unit of work, once per (source, user, kind); queue it after commit."""
    work = current()
    if to is None:
        recipient = work.get(Recipient, id=user_id)
        to = recipient.email if recipient is not None else None  # else looked up again when sending
    subject, text, html = emails.render(kind, facts)
    now = utcnow()
    email_id = ObjectId()
    document = Email(id=email_id, key=f"{source}:{user_id}:{kind}", kind=kind, user_id=user_id, to=to,
                     subject=subject, text=text, html=html, status=PENDING, attempts=0, next_attempt_at=now,
                     enqueued_at=now, created_at=now)
    document.validate()
    # Upserted on its unique key (as in _remember): a redelivered event finds its email there and queues nothing.
    result = work.collection(Email).update_one({"key": document.key}, {"$setOnInsert": document.to_mongo()},
                                               upsert=True, session=work.session)
    if result.upserted_id is not None:
        work.enqueue_after_commit(SEND_TASK, str(email_id))


# --- sending --------------------------------------------------------------------------------------------------------

def _emails():
    return current_app.extensions["mongo"].db[Email._get_collection_name()]


def _claimable(now):
    return {"status": PENDING, "next_attempt_at": {"$lte": now + timedelta(seconds=1)},
            "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


def send_email(email_id):
    """Send one pending email through the SMTP server, at most one sender at a time; return the outcome."""
    if not ObjectId.is_valid(email_id):
        return "skipped"
    now = utcnow()
    claimed = _emails().find_one_and_update(
        dict(_claimable(now), _id=ObjectId(email_id)),
        {"$set": {"lease_until": now + timedelta(seconds=mailer.LEASE_SECONDS)}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER)
    if claimed is None:
        return "skipped"  # sent, dead, not due yet, or another worker holds it
    try:
        to = claimed.get("to") or _address(claimed["user_id"])
        mailer.send(str(claimed["_id"]), to, claimed["subject"], claimed["text"], claimed["html"])
    except Exception as exc:  # noqa: BLE001 - whatever failed, the email stays owed and is retried
        return _failed(claimed, exc)
    # Once sent, only the envelope is kept (to whom, what, when): the body was half of the database's growth, and
    # the person's data in it is needed no more.
    _emails().update_one({"_id": claimed["_id"], "status": PENDING}, {
        "$set": {"status": SENT, "to": to, "sent_at": utcnow(), "lease_until": None, "last_error": None},
        "$unset": {"text": "", "html": ""}})
    return "sent"


def _address(user_id):
    recipient = Recipient.objects(id=user_id).first()
    if recipient is None:
        raise RecipientUnknownError(f"no address is known for user {user_id}")
    return recipient.email


def _failed(claimed, exc):
    config = current_app.config
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if claimed["attempts"] >= config["MAIL_MAX_ATTEMPTS"]:
        log.error("email %s is dead after %s attempts: %s", claimed["_id"], claimed["attempts"], error)
        _emails().update_one({"_id": claimed["_id"]}, {"$set": {"status": DEAD, "lease_until": None,
                                                                "last_error": error}})
        return "dead"
    delay = min(config["MAIL_BACKOFF_SECONDS"] * 2 ** (claimed["attempts"] - 1), MAX_BACKOFF_SECONDS)
    delay *= random.uniform(0.8, 1.2)
    when = utcnow() + timedelta(seconds=delay)
    log.warning("email %s not sent (attempt %s), retrying in %.1fs: %s", claimed["_id"], claimed["attempts"], delay,
                error)
    _emails().update_one({"_id": claimed["_id"]}, {"$set": {
        "lease_until": None, "last_error": error, "next_attempt_at": when, "enqueued_at": when}})
    enqueue(SEND_TASK, str(claimed["_id"]), delay=delay)
    return "retrying"


def requeue_stalled_emails(grace_seconds=None, limit=200):
    """Queue again every due email nobody holds or queued lately (Huey lost its task); return how many."""
    grace = grace_seconds if grace_seconds is not None else max(2 * current_app.config["SWEEP_INTERVAL_SECONDS"], 1.0)
    now = utcnow()
    stalled = [doc["_id"] for doc in _emails().find(
        dict(_claimable(now), enqueued_at={"$lte": now - timedelta(seconds=grace)}), projection={"_id": 1},
        sort=[("next_attempt_at", 1), ("_id", 1)], limit=limit)]
    for email_id in stalled:
        _emails().update_one({"_id": email_id}, {"$set": {"enqueued_at": now}})
        enqueue(SEND_TASK, str(email_id))
    if stalled:
        log.info("sweep requeued %s emails", len(stalled))
    return len(stalled)


def retry_emails(dead=False):
    """Queue every pending email now; with dead=True revive dead ones first (attempts start again). Return how many."""
    now = utcnow()
    if dead:
        _emails().update_many({"status": DEAD}, {"$set": {
            "status": PENDING, "attempts": 0, "next_attempt_at": now, "lease_until": None}})
    pending = [doc["_id"] for doc in _emails().find({"status": PENDING}, projection={"_id": 1},
                                                    sort=[("created_at", 1)])]
    for email_id in pending:
        _emails().update_one({"_id": email_id}, {"$set": {"enqueued_at": now, "next_attempt_at": now}})
        enqueue(SEND_TASK, str(email_id))
    return len(pending)

