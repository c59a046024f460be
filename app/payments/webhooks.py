"""Stripe's webhooks: verify the signature, read only what we can trust the shape of, apply each event once.

A signed body is Stripe's word, but its content is still checked field by field before anything of it reaches a
query: ids must be strings, and our own ids must be well-formed ObjectIds. A signed body we cannot use is
acknowledged (200, outcome "ignored") and logged, so Stripe stops retrying it; it never answers 500.
"""

import logging

import stripe
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.platform.uow import current, transactional

from . import gateway
from .errors import WebhookSignatureError
from .models import Payment, PaymentOrder, WebhookEvent
from .services import record_payment_failure, record_payment_success

log = logging.getLogger(__name__)
INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")
MAX_ID = 255


class UnusableWebhook(ValueError):
    """A signed webhook body whose shape we cannot use; the message says why."""


def handle_webhook(payload, sig_header):
    """Verify a Stripe webhook and apply it once per Stripe event id; return what was done."""
    try:
        event = gateway.verify_webhook(payload, sig_header)
    except (stripe.SignatureVerificationError, ValueError):
        raise WebhookSignatureError() from None
    try:
        event_id, event_type, intent = read_event(event)
    except UnusableWebhook as exc:
        log.warning("signed webhook ignored: %s", exc)
        return "ignored"
    try:
        return _apply_webhook(event_id, event_type, intent)
    except DuplicateKeyError:
        return "duplicate"  # the same event delivered twice at once: the other delivery applied it


def read_event(event):
    """Return (event id, type, intent facts or None) from a parsed webhook body, or raise UnusableWebhook."""
    if not isinstance(event, dict):
        raise UnusableWebhook(f"the body is a {type(event).__name__}, not an object")
    event_id, event_type = event.get("id"), event.get("type")
    if not _is_id(event_id):
        raise UnusableWebhook(f"event id {event_id!r:.80} is not a string id")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= MAX_ID:
        raise UnusableWebhook(f"event {event_id}: type {event_type!r:.80} is not a string")
    if event_type not in INTENT_EVENTS:
        return event_id, event_type, None
    return event_id, event_type, _read_intent(event_id, event.get("data"))


def _read_intent(event_id, data):
    intent = data.get("object") if isinstance(data, dict) else None
    if not isinstance(intent, dict):
        raise UnusableWebhook(f"event {event_id}: data.object is not an object")
    intent_id, amount, currency, metadata = (intent.get(k) for k in ("id", "amount", "currency", "metadata"))
    if not _is_id(intent_id):
        raise UnusableWebhook(f"event {event_id}: the PaymentIntent id {intent_id!r:.80} is not a string id")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise UnusableWebhook(f"event {event_id}: amount {amount!r:.80} is not a whole number of minor units")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise UnusableWebhook(f"event {event_id}: currency {currency!r:.80} is not a currency code")
    if not isinstance(metadata, dict):
        raise UnusableWebhook(f"event {event_id}: metadata {type(metadata).__name__} is not an object")
    ours = {}
    for key in ("order_id", "payment_id"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise UnusableWebhook(f"event {event_id}: metadata.{key} is a {type(value).__name__}, not a string")
        # Only a well-formed id of ours ever reaches a query; anything else is not one of our orders or attempts.
        ours[key] = value if isinstance(value, str) and ObjectId.is_valid(value) else None
    error = intent.get("last_payment_error")
    message = error.get("message") if isinstance(error, dict) else None
    return {"id": intent_id, "amount": amount, "currency": currency.upper(), **ours,
            "message": message[:500] if isinstance(message, str) else None}


def _is_id(value):
    return isinstance(value, str) and 0 < len(value) <= MAX_ID


@transactional
def _apply_webhook(event_id, event_type, intent):
    work = current()
    if work.get(WebhookEvent, id=event_id) is not None:
        return "duplicate"
    work.insert(WebhookEvent(id=event_id, type=event_type, object_id=intent["id"] if intent else None))
    if intent is None:
        return "ignored"
    payment = _payment_for_intent(intent, adopt=event_type == "payment_intent.succeeded")
    if payment is None:
        log.warning("webhook %s: no payment of ours for PaymentIntent %s", event_id, intent["id"])
        return "unknown"
    if event_type == "payment_intent.succeeded":
        record_payment_success(str(payment.id), intent["id"], intent["amount"], intent["currency"])
        return "succeeded"
    record_payment_failure(str(payment.id), intent["message"] or "The payment failed", intent["id"])
    return "failed"


def _payment_for_intent(intent, adopt):
    work = current()
    if intent["payment_id"]:
        payment = work.get(Payment, id=ObjectId(intent["payment_id"]))
        # An attempt is about one PaymentIntent: another intent naming it is other money, handled below.
        if payment is not None and payment.stripe_id in (None, intent["id"]):
            return payment
    found = work.find(Payment, {"stripe_id": intent["id"]}, limit=1)
    if found:
        return found[0]
    order = work.get(PaymentOrder, id=intent["order_id"]) if intent["order_id"] else None
    if not adopt or order is None:
        return None
    # Money for one of our orders that no attempt of ours knows (made outside this app): record it as an attempt so
    # that it is either the order's payment or refunded, never lost.
    return work.insert(Payment(order_id=order.id, user_id=order.user_id, amount=intent["amount"],
                               currency=intent["currency"], status="pending", stripe_id=intent["id"]))
