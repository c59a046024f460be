"""Use cases of the payments context: pay for an order, take Stripe's webhooks, refund money an order cannot keep.

Stripe is always called OUTSIDE a transaction (a transaction may be re-run on a conflict, a charge must not be).
Our own idempotency comes first: an attempt claims the order's single payment slot in the database (a unique
partial index) before Stripe is asked for anything, so two requests for one order charge the card once.
"""

import logging
from datetime import timedelta

import stripe
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.platform import metrics
from app.platform.documents import as_utc, utcnow
from app.platform.errors import ValidationError
from app.platform.events import emit, in_chain
from app.platform.replicas import apply_in_order
from app.platform.uow import current, transactional

from . import gateway
from .errors import (
    OrderAlreadyPaidError,
    OrderCancelledError,
    OrderExpiredError,
    OrderNotFoundError,
    OrderNotOwnedError,
    PaymentDeclinedError,
    PaymentInProgressError,
    PaymentProviderError,
    PaymentProviderUnavailableError,
    PaymentTokenInvalidError,
)
from .events import PaymentSucceeded
from .models import Payment, PaymentEvent, PaymentOrder, Refund
from .refunds import open_refund

log = logging.getLogger(__name__)

# Stripe statuses of a PaymentIntent that will not take money without the buyer doing something new.
_FAILED_INTENT_STATUSES = ("requires_payment_method", "canceled")
STALE_PAYMENT_SECONDS = 120


# --- the replica of orders ------------------------------------------------------------------------------------------

@transactional
def apply_order_created(order_id, version, user_id, status, price, currency, expires_at, correlation_id=None,
                        event=None):
    """Start the replica of an order (version 0), with its event's facts when it has one; return whether it changed."""
    event = event or {}
    starts_at = event.get("starts_at")
    return apply_in_order(PaymentOrder, order_id, version, {
        "status": status, "amount": price, "currency": currency, "user_id": user_id,
        "expires_at": as_utc(expires_at), "correlation_id": correlation_id, "event_id": event.get("id"),
        "event_name": event.get("name"), "event_venue": event.get("venue"), "event_city": event.get("city"),
        "event_starts_at": as_utc(starts_at) if starts_at else None, "event_utc_offset": event.get("utc_offset")})


@transactional
def record_event(event_id, version, name, venue, city, starts_at, utc_offset):
    """Apply one version of a dated event to the replica, strictly after the version before it."""
    return apply_in_order(PaymentEvent, event_id, version, {
        "name": name, "venue": venue, "city": city, "starts_at": as_utc(starts_at), "utc_offset": utc_offset})


@transactional
def apply_order_status(order_id, version, status):
    """Apply a later version of an order (cancelled, complete) to the replica; return whether it changed."""
    return apply_in_order(PaymentOrder, order_id, version, {"status": status})


# --- paying ---------------------------------------------------------------------------------------------------------

def pay_for_order(order_id, user_id, token):
    """Charge the order's amount once through a confirmed PaymentIntent; return (payment, client_secret or None)."""
    problems = {}
    if not isinstance(order_id, str) or not order_id.strip():
        problems["orderId"] = "orderId is required"
    elif not ObjectId.is_valid(order_id.strip()):
        raise OrderNotFoundError()  # only a well-formed id ever reaches a query
    if not isinstance(token, str) or not token.startswith(("pm_", "tok_")) or len(token) > 255:
        problems["token"] = PaymentTokenInvalidError.message
    if problems:
        raise ValidationError(problems)
    payment = _claim_payment_slot(order_id.strip(), user_id)
    payment_id = str(payment.id)
    try:
        intent = gateway.create_payment_intent(token, payment.amount, payment.currency,
                                               {"order_id": payment.order_id, "payment_id": payment_id})
    except stripe.CardError as exc:
        message = exc.user_message or "Your card was declined."
        record_payment_failure(payment_id, message, _intent_id_of_error(exc))
        raise PaymentDeclinedError(message) from None
    except stripe.APIConnectionError:
        # Not knowing is treated as "not charged": the slot is released. Should Stripe have charged after all, its
        # payment_intent.succeeded webhook records the money (or refunds it if the order was paid meanwhile).
        log.warning("Stripe unreachable while paying for order %s", payment.order_id, exc_info=True)
        record_payment_failure(payment_id, "The payment provider could not be reached")
        raise PaymentProviderUnavailableError() from None
    except stripe.StripeError as exc:
        log.warning("Stripe refused a payment for order %s: %s", payment.order_id, exc)
        record_payment_failure(payment_id, exc.user_message or "The payment provider refused the payment")
        if isinstance(exc, stripe.InvalidRequestError) and (exc.http_status == 404 or exc.param in (
                "source", "payment_method")):
            # Stripe does not know the token (or refuses it as a card): the client's mistake, not an outage.
            raise PaymentTokenInvalidError("The card token is not valid") from None
        raise PaymentProviderError(exc.user_message or None) from None
    except BaseException:
        record_payment_failure(payment_id, "The payment attempt was interrupted")
        raise
    return _settle(payment_id, intent)


def _claim_payment_slot(order_id, user_id):
    try:
        return _insert_attempt(order_id, user_id)
    except DuplicateKeyError:
        # Another request claimed the slot between our read and our insert: the unique index decided.
        holder = Payment.objects(order_id=order_id, holds_slot=True).first()
        if holder is not None and holder.status == "succeeded":
            raise OrderAlreadyPaidError() from None
        raise PaymentInProgressError() from None


@transactional
def _insert_attempt(order_id, user_id):
    work = current()
    order = work.get(PaymentOrder, id=order_id)
    if order is None:
        raise OrderNotFoundError()
    if order.user_id != user_id:
        raise OrderNotOwnedError()
    if order.status == "complete":
        raise OrderAlreadyPaidError()
    if not order.payable:
        raise OrderCancelledError()
    if order.expires_at is not None and order.expires_at <= utcnow():
        raise OrderExpiredError()
    holder = work.find(Payment, {"order_id": order_id, "holds_slot": True}, limit=1)
    if holder:
        raise OrderAlreadyPaidError() if holder[0].status == "succeeded" else PaymentInProgressError()
    return work.insert(Payment(order_id=order_id, user_id=user_id, amount=order.amount, currency=order.currency,
                               status="pending", holds_slot=True))


def _intent_id_of_error(exc):
    error = (exc.json_body or {}).get("error") or {}
    intent = error.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def _settle(payment_id, intent):
    """Record what Stripe answered for an attempt; return (payment, client_secret when the buyer must act)."""
    if intent.status == "succeeded":
        return record_payment_success(payment_id, intent.id, intent.amount, intent.currency), None
    if intent.status in _FAILED_INTENT_STATUSES:
        message = _intent_failure_message(intent) or "Your card was declined."
        record_payment_failure(payment_id, message, intent.id)
        raise PaymentDeclinedError(message)
    # requires_action (3-D Secure), processing…: the attempt stays pending and keeps the slot; the page finishes it
    # with confirmCardPayment and the webhook (or a sync) records the outcome.
    return record_stripe_id(payment_id, intent.id), intent.client_secret


def _intent_failure_message(intent):
    error = intent.last_payment_error if "last_payment_error" in intent else None
    return error["message"] if error and "message" in error else None


@transactional
def record_stripe_id(payment_id, stripe_id):
    """Remember which PaymentIntent an attempt created; return the attempt."""
    work = current()
    payment = work.get(Payment, id=ObjectId(payment_id))
    if payment.stripe_id != stripe_id and payment.status == "pending":
        work.update(payment, stripe_id=stripe_id)
    return payment


@transactional
def record_payment_failure(payment_id, message, stripe_id=None):
    """Mark a pending attempt failed and free the order's payment slot; return the attempt."""
    work = current()
    payment = work.get(Payment, id=ObjectId(payment_id))
    if payment is None or payment.status != "pending":
        return payment  # a success recorded meanwhile wins over a stale failure
    metrics.count_after_commit(metrics.payments, outcome="failed")
    work.update(payment, status="failed", holds_slot=None, failure_message=message[:500],
                stripe_id=stripe_id or payment.stripe_id, finished_at=utcnow())
    return payment


@transactional
def record_payment_success(payment_id, stripe_id, amount, currency):
    """Record that Stripe took `amount` `currency` for an attempt, once; emit PaymentSucceeded, or refund it if the
    order cannot take it (paid by another attempt, cancelled, or not the order's price)."""
    work = current()
    payment = work.get(Payment, id=ObjectId(payment_id))
    if payment is None or payment.status == "succeeded":
        return payment  # recorded before (the request and the webhook both report it): one effect
    others = work.find(Payment, {"order_id": payment.order_id, "holds_slot": True, "_id": {"$ne": payment.id}},
                       limit=1)
    order = work.get(PaymentOrder, id=payment.order_id)
    currency = currency.upper()
    # The order is paid only by exactly its price in its currency; any other sum goes back and the order stays payable.
    mismatch = order is None or (amount, currency) != (order.amount, order.currency.upper())
    work.update(payment, status="succeeded", stripe_id=stripe_id, failure_message=None, finished_at=utcnow(),
                amount=amount, currency=currency, holds_slot=None if others or mismatch else True)
    if others:
        # The order is paid (or being paid) by another attempt: this money must go back.
        open_refund(payment, "duplicate payment")
    elif order is not None and order.status == "cancelled":
        open_refund(payment, "order cancelled")
    elif mismatch:
        log.warning("payment %s brought %s %s for order %s, which costs %s: refunding it", payment_id, amount,
                    currency, payment.order_id, None if order is None else f"{order.amount} {order.currency}")
        open_refund(payment, "amount mismatch")
    else:
        # The payment continues the purchase its reservation started: one correlation id from reserve to sold.
        with in_chain(order.correlation_id):
            emit(PaymentSucceeded(aggregate_id=str(payment.id), version=payment.version, order_id=payment.order_id,
                                  stripe_id=stripe_id, amount=payment.amount, currency=payment.currency))
    metrics.count_after_commit(metrics.payments, outcome="succeeded")
    return payment


def sync_payment(payment_id):
    """Record how Stripe says a pending attempt stands; return (attempt, client_secret while 3-D Secure is due)."""
    payment = Payment.objects(id=payment_id).first()
    if payment is None or payment.status != "pending" or not payment.stripe_id:
        return payment, None
    try:
        intent = gateway.retrieve_payment_intent(payment.stripe_id)
    except stripe.APIConnectionError:
        raise PaymentProviderUnavailableError() from None
    if intent.status == "succeeded":
        return record_payment_success(payment_id, intent.id, intent.amount, intent.currency), None
    if intent.status in _FAILED_INTENT_STATUSES:
        return record_payment_failure(payment_id, _intent_failure_message(intent) or "The payment failed",
                                      intent.id), None
    return payment, intent.client_secret if intent.status == "requires_action" else None


# --- sweeps: work that Huey or Stripe's single webhook delivery may have lost --------------------------------------

def reconcile_stale_payments(older_than_seconds=STALE_PAYMENT_SECONDS, limit=50):
    """Settle attempts left pending (a lost webhook, a crashed request) from what Stripe says; return how many."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    # Each stale attempt is asked about at most once a minute, so abandoned 3-D Secure checks cost little.
    due = {"status": "pending", "created_at": {"$lt": cutoff},
           "$or": [{"checked_at": None}, {"checked_at": {"$lt": now - timedelta(seconds=60)}}]}
    settled = 0
    for raw in Payment._get_collection().find(due, projection={"_id": 1, "stripe_id": 1, "order_id": 1},
                                              sort=[("created_at", 1), ("_id", 1)], limit=limit):
        payment_id = str(raw["_id"])
        Payment._get_collection().update_one({"_id": raw["_id"]}, {"$set": {"checked_at": now}})
        if not raw.get("stripe_id"):
            # The request died before Stripe answered. If Stripe did charge, its webhook still records the money.
            record_payment_failure(payment_id, "The payment attempt was interrupted")
            settled += 1
            continue
        try:
            payment, client_secret = sync_payment(payment_id)
        except PaymentProviderUnavailableError:
            return settled  # Stripe is away: try again next sweep
        order = PaymentOrder.objects(id=raw["order_id"]).first()
        if client_secret and (order is None or not order.payable):
            # 3-D Secure abandoned and the order is over: free the attempt. A late success is refunded by the webhook.
            record_payment_failure(payment_id, "Authentication was not completed in time")
            settled += 1
            continue
        settled += payment is not None and payment.status != "pending"
    return settled


# --- reads for pages and the API ------------------------------------------------------------------------------------

def order_payment_state(order_id):
    """Return what payments knows about an order: its replica, attempts (newest first) and refunds."""
    return {
        "order": PaymentOrder.objects(id=order_id).first(),
        "payments": list(Payment.objects(order_id=order_id).order_by("-created_at")),
        "refunds": list(Refund.objects(order_id=order_id).order_by("-created_at")),
    }
