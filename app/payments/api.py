"""The JSON API of the original payments service, plus Stripe's webhook.

Amounts are integer minor units of `currency` (e.g. 2050 = 20.50 USD), like every amount in this app.
CSRF-exempt: payments demand an application/json body, and the webhook is authenticated by Stripe's signature.
"""

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from app.platform.http import json_body

from . import services, webhooks

bp = Blueprint("payments_api", __name__, url_prefix="/api/payments")


@bp.post("")
@login_required
def create_payment():
    """Pay for {orderId, token} with one confirmed PaymentIntent and answer 201 {"payment": {...}}."""
    body = json_body()
    payment, client_secret = services.pay_for_order(body.get("orderId"), current_user.id, body.get("token"))
    return jsonify({"payment": payment.to_json(client_secret)}), 201


@bp.post("/webhook")
def webhook():
    """Apply a signed Stripe event once (400 if the signature does not verify; 5xx makes Stripe retry)."""
    outcome = webhooks.handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    return jsonify({"received": True, "outcome": outcome})
