"""The one door to Stripe (stripe-python v16): a client configured per app, short timeouts, few retries.

Every call here goes over the network, so services call it OUTSIDE a transaction. Nothing is configured at import
time; the client is built from the app's current settings on first use.
"""

import json
import time

import stripe
from flask import current_app

from app.platform.localstripe import effective_settings

MAX_NETWORK_RETRIES = 1


def settings():
    """Return the Stripe settings in force for the current app (live, or demo against localstripe)."""
    return effective_settings(current_app.config)


def client():
    """Return the app's StripeClient, rebuilt when the settings change (tests point it elsewhere)."""
    s = settings()
    key = (s["secret_key"], s["api_base"], s["timeout"])
    cached = current_app.extensions.get("payments_stripe")
    if cached is None or cached[0] != key:
        options = {"max_network_retries": MAX_NETWORK_RETRIES,
                   "http_client": stripe.RequestsClient(timeout=s["timeout"])}
        if s["api_base"]:
            options["base_addresses"] = {"api": s["api_base"]}
        cached = (key, stripe.StripeClient(s["secret_key"], **options))
        current_app.extensions["payments_stripe"] = cached
    return cached[1]


def create_payment_intent(token, amount, currency, metadata):
    """Create and confirm a PaymentIntent from a pm_… or tok_… token; return it (status may be requires_action)."""
    v1 = client().v1
    params = {"amount": amount, "currency": currency.lower(), "confirm": True, "metadata": metadata}
    if token.startswith("tok_"):
        # A card token (what stripe.js createToken gives) is attached to a customer, whose card the intent charges.
        customer = v1.customers.create(params={"source": token, "metadata": metadata})
        params.update(customer=customer.id, payment_method=customer.default_source)
    else:
        params["payment_method"] = token
    return v1.payment_intents.create(params=params)


def retrieve_payment_intent(stripe_id):
    """Return the PaymentIntent with this id as Stripe has it now."""
    return client().v1.payment_intents.retrieve(stripe_id)


def find_refund(stripe_payment_id, refund_id):
    """Return the Stripe refund we already made for our refund record, or None."""
    refunds = client().v1.refunds.list(params={"payment_intent": stripe_payment_id, "limit": 100})
    for refund in refunds.data:
        if refund.metadata and "refund_id" in refund.metadata and refund.metadata["refund_id"] == refund_id:
            return refund
    return None


def create_refund(stripe_payment_id, refund_id):
    """Refund a PaymentIntent in full, tagged with our refund record's id."""
    return client().v1.refunds.create(params={"payment_intent": stripe_payment_id,
                                              "metadata": {"refund_id": refund_id}})


def verify_webhook(payload, signature, tolerance=stripe.Webhook.DEFAULT_TOLERANCE):
    """Return the parsed JSON of a signed webhook body (None if it is not JSON), or raise
    stripe.SignatureVerificationError (or ValueError) when the signature is wrong, too old or dated in the future."""
    secret = settings()["webhook_secret"]
    if not secret:
        raise stripe.SignatureVerificationError("No webhook secret is configured", signature)
    stripe.WebhookSignature.verify_header(payload, signature or "", secret, tolerance)
    # stripe-python refuses only signatures older than the tolerance; one dated ahead would stay replayable for as
    # long as it is dated ahead, so it is refused the same way.
    if _signed_at(signature) > time.time() + tolerance:
        raise stripe.SignatureVerificationError("Timestamp in the future", signature, payload)
    try:
        return json.loads(payload)
    except ValueError:
        return None  # signed, but not JSON: nothing we can use


def _signed_at(signature):
    # The header was verified just before, so its first "t=" item is an integer.
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise stripe.SignatureVerificationError("No timestamp in the signature", signature)
