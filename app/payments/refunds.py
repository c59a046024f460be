"""Refunds: money an order cannot keep goes back through Stripe, once per payment, by a Huey task with retries.

A refund is its own record (pending, succeeded, failed). Stripe is called outside any transaction, by one executor at
a time (a lease on the record), and a refund already made at Stripe is found again by its metadata before a new one
is asked for, so a crash or a retry never refunds twice.
"""

import logging
from datetime import timedelta

import stripe
from bson import ObjectId

from app.platform import metrics
from app.platform.documents import utcnow
from app.platform.events import emit
from app.platform.queue import enqueue
from app.platform.uow import current, transactional

from . import gateway
from .events import PaymentRefunded
from .models import Payment, Refund

log = logging.getLogger(__name__)



@transactional
def refund_payment(payment_id, reason):
    """Refund a succeeded payment in full through Stripe (done by a task after commit); return the refund record."""
    work = current()
    payment = work.get(Payment, id=ObjectId(payment_id)) if ObjectId.is_valid(payment_id) else None
    if payment is None or payment.status != "succeeded":
        log.warning("refund requested for payment %s, which has no money to give back", payment_id)
        return None
    return open_refund(payment, reason)


def open_refund(payment, reason):
    """Open the one refund of a succeeded payment in the current unit of work; Stripe is called after commit."""
    work = current()
    existing = work.get(Refund, payment_id=str(payment.id))
    if existing is not None:
        return existing  # a payment is refunded once, whoever asks again
    refund = work.insert(Refund(payment_id=str(payment.id), order_id=payment.order_id, amount=payment.amount,
                                currency=payment.currency, reason=reason, status="pending"))
    work.enqueue_after_commit("payments.refund", str(refund.id))
    return refund


def execute_refund(refund_id):
    """Carry out a pending refund at Stripe and record it; transient Stripe errors propagate so the task retries."""
    refund = _lease_refund(refund_id)
    if refund is None:
        return None
    payment = Payment.objects(id=refund.payment_id).first()
    try:
        # localstripe (and a crash between Stripe's answer and our commit) make this lookup our idempotency key.
        done = gateway.find_refund(payment.stripe_id, refund_id)
        stripe_refund = done or gateway.create_refund(payment.stripe_id, refund_id)
    except (stripe.InvalidRequestError, stripe.CardError) as exc:
        return record_refund_failure(refund_id, exc.user_message or str(exc))
    except stripe.StripeError as exc:
        _release_refund_lease(refund_id, f"{type(exc).__name__}: {exc}")
        raise
    return record_refund_success(refund_id, stripe_refund.id)


def _lease_refund(refund_id):
    # Long enough for the two Stripe calls with their retries; short enough that a worker killed mid-call does not
    # hold the refund up for long (the sweep queues it again once the lease has run out).
    lease = 2 * (gateway.MAX_NETWORK_RETRIES + 1) * gateway.settings()["timeout"] + 5
    now = utcnow()
    collection = Refund._get_collection()
    raw = collection.find_one_and_update(
        {"_id": ObjectId(refund_id), "status": "pending",
         "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {"$set": {"lease_until": now + timedelta(seconds=lease), "enqueued_at": now},
         "$inc": {"attempts": 1}})
    return None if raw is None else Refund._from_son(raw)


def _release_refund_lease(refund_id, error):
    Refund._get_collection().update_one({"_id": ObjectId(refund_id)},
                                        {"$set": {"lease_until": None, "failure_message": error[:500]}})


@transactional
def record_refund_success(refund_id, stripe_refund_id):
    """Mark a refund succeeded and emit PaymentRefunded, once; return the refund."""
    work = current()
    refund = work.get(Refund, id=ObjectId(refund_id))
    if refund.status != "pending":
        return refund
    work.update(refund, status="succeeded", stripe_refund_id=stripe_refund_id, finished_at=utcnow(),
                failure_message=None, lease_until=None)
    metrics.count_after_commit(metrics.payments, outcome="refunded")
    emit(PaymentRefunded(aggregate_id=refund_id, version=refund.version, order_id=refund.order_id,
                         refund_id=stripe_refund_id, amount=refund.amount, currency=refund.currency,
                         reason=refund.reason))
    return refund


@transactional
def record_refund_failure(refund_id, message):
    """Mark a refund that Stripe refuses for good as failed (visible on the order page); return it."""
    work = current()
    refund = work.get(Refund, id=ObjectId(refund_id))
    if refund.status == "pending":
        log.error("refund %s refused by Stripe: %s", refund_id, message)
        work.update(refund, status="failed", failure_message=message[:500], finished_at=utcnow())
    return refund


def requeue_stalled_refunds(older_than_seconds=10.0, limit=100):
    """Queue again every pending refund nobody is working on; return how many."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stalled = Refund._get_collection().find(
        {"status": "pending", "$and": [
            {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$or": [{"enqueued_at": None}, {"enqueued_at": {"$lt": cutoff}}]}]},
        projection={"_id": 1}, sort=[("created_at", 1), ("_id", 1)], limit=limit)
    count = 0
    for raw in stalled:
        Refund._get_collection().update_one({"_id": raw["_id"]}, {"$set": {"enqueued_at": now}})
        enqueue("payments.refund", str(raw["_id"]))
        count += 1
    return count
