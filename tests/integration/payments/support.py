"""Helpers of the payments tests: signed-in clients, orders delivered to payments' replica, looks into localstripe."""

import uuid
from datetime import UTC, datetime, timedelta

import requests
from bson import ObjectId

from app.orders.events import OrderCancelled, OrderCreated
from app.payments import handlers
from app.platform.uow import run_in_transaction

WEBHOOK_SECRET = "whsec_payments_tests"


def given_order(app, user_id, price=2050, currency="USD", expires_in=900):
    """Deliver an OrderCreated to payments' handler, as the relay would; return the order id."""
    order_id = str(ObjectId())
    expires_at = (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat()
    event = OrderCreated(aggregate_id=order_id, version=0, user_id=user_id, status="created", expires_at=expires_at,
                         ticket_id=str(ObjectId()), price=price, currency=currency)
    with app.app_context():
        run_in_transaction(handlers.on_order_created, event)
    return order_id


def cancel_order(app, order_id, user_id, version=1, reason="expired"):
    """Deliver an OrderCancelled to payments' handler, as the relay would."""
    event = OrderCancelled(aggregate_id=order_id, version=version, user_id=user_id, ticket_id=str(ObjectId()),
                           reason=reason)
    with app.app_context():
        run_in_transaction(handlers.on_order_cancelled, event)


def card_token(stripe_client, number):
    """Return a tok_… for a test card number, as stripe.js createToken would."""
    return stripe_client.v1.tokens.create(params={"card": {"number": number, "exp_month": 12, "exp_year": 2030,
                                                           "cvc": "123"}}).id


def intents_for_order(stripe_client, order_id):
    """Return localstripe's PaymentIntents made for an order (matched by their metadata)."""
    intents = stripe_client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [pi for pi in intents if pi.metadata.to_dict().get("order_id") == order_id]


def charges_for_order(stripe_client, order_id, status="succeeded"):
    """Return localstripe's charges with `status` made through the order's PaymentIntents."""
    intent_ids = {pi.id for pi in intents_for_order(stripe_client, order_id)}
    charges = stripe_client.v1.charges.list(params={"limit": 100}).auto_paging_iter()
    return [c for c in charges if c.payment_intent in intent_ids and c.status == status]


def authenticate_3ds(localstripe_server, intent_id, client_secret, success=True):
    """Finish a 3-D Secure challenge as localstripe's stripe.js does when the buyer clicks in its dialog."""
    answer = requests.post(f"{localstripe_server.url}/v1/payment_intents/{intent_id}/_authenticate",
                           data={"client_secret": client_secret, "success": "true" if success else "false",
                                 "key": "pk_test_demo"}, timeout=5)
    answer.raise_for_status()
    return answer.json()


def outbox_events(db, event_type):
    """Return the payloads of the outbox events of a type."""
    return [doc["payload"] for doc in db.platform_outbox.find({"type": event_type})]


def post_payment(client, order_id, token):
    """POST /api/payments and return the response."""
    return client.post("/api/payments", json={"orderId": order_id, "token": token})


def signed_event(event_type, intent, secret=WEBHOOK_SECRET, event_id=None, timestamp=None):
    """Return (body, Stripe-Signature header) of a webhook event about `intent`, signed as Stripe signs."""
    import hashlib
    import hmac
    import json
    import time

    created = int(timestamp if timestamp is not None else time.time())
    body = json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": event_type,
                       "api_version": "2017-08-15", "created": created, "livemode": False,
                       "data": {"object": {"object": "payment_intent", **intent}}}).encode()
    signature = hmac.new(secret.encode(), f"{created}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={created},v1={signature}"


def post_webhook(client, body, signature):
    """POST a raw webhook body as Stripe does and return the response."""
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post("/api/payments/webhook", data=body, headers=headers,
                       content_type="application/json; charset=utf-8")


def start_three_d_secure_payment(client, stripe_client, order_id):
    """Pay for an order with a card that needs 3-D Secure; return the pending payment (with clientSecret)."""
    token = stripe_client.v1.tokens.create(params={"card": {"number": "4000002500003155", "exp_month": 12,
                                                            "exp_year": 2030, "cvc": "123"}}).id
    response = post_payment(client, order_id, token)
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()["payment"]
    assert payment["status"] == "pending"
    return payment


def csrf_headers(app, client):
    """Return headers carrying a valid CSRF token for this client's session, as the page's script sends them."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context():
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return {"X-CSRFToken": token, "Accept": "application/json"}


def render_order_slot(app, client, **order):
    """Render the order page's "order_page" slot as orders' template would, for this client's signed-in user."""
    with client.session_transaction() as client_session:
        user_id = client_session.get("_user_id")
        email = client_session.get("user_email")
    with app.test_request_context("/orders/x"):
        from flask_login import login_user

        from app.platform.identity import SessionUser

        if user_id:
            login_user(SessionUser(user_id, email))
        return str(app.jinja_env.globals["slot"]("order_page", **order))
