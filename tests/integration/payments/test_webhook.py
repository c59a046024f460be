"""POST /api/payments/webhook: real deliveries from localstripe, forged and stale signatures, repeats."""

import time

from tests.integration.payments.support import (
    WEBHOOK_SECRET,
    authenticate_3ds,
    given_order,
    outbox_events,
    post_webhook,
    signed_event,
    start_three_d_secure_payment,
)
from tests.servers import sign_in, wait_until


def _succeeded(payment, order_id, amount=2050):
    return {"id": payment["stripeId"], "status": "succeeded", "amount": amount, "currency": "usd",
            "metadata": {"order_id": order_id, "payment_id": payment["id"]}}


def test_localstripe_webhook_records_a_payment_finished_with_3d_secure(app, client, db, stripe_client,
                                                                      localstripe_server, live_server_url):
    """After the buyer passes 3-D Secure, Stripe's signed webhook alone records the payment, once."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)

    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"])

    wait_until(lambda: db.payments_payments.find_one({"order_id": order_id})["status"] == "succeeded",
               timeout=10, message="the webhook to record the payment")
    assert db.payments_webhook_events.count_documents({"type": "payment_intent.succeeded",
                                                       "object_id": payment["stripeId"]}) == 1
    [event] = outbox_events(db, "payments.payment_succeeded.v1")
    assert event["order_id"] == order_id and event["stripe_id"] == payment["stripeId"]


def test_forged_or_stale_signature_is_400_and_changes_nothing(app, client, db, stripe_client):
    """A body not signed with our secret, signed too long ago, or unsigned is refused and has no effect."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    intent = _succeeded(payment, order_id)

    forged = signed_event("payment_intent.succeeded", intent, secret="whsec_not_ours")
    stale = signed_event("payment_intent.succeeded", intent, timestamp=time.time() - 3600)
    body, good_signature = signed_event("payment_intent.succeeded", intent)
    tampered = (body.replace(b'"amount": 2050', b'"amount": 1'), good_signature)

    for raw, signature in (forged, stale, tampered, (body, None), (b"not json", good_signature)):
        response = post_webhook(client, raw, signature)
        assert response.status_code == 400, response.get_json()
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "pending"
    assert db.payments_webhook_events.count_documents({}) == 0
    assert outbox_events(db, "payments.payment_succeeded.v1") == []


def test_the_same_webhook_twice_has_one_effect(app, client, db, stripe_client):
    """A repeated event id is acknowledged and ignored; another event about the same intent changes nothing more."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    body, signature = signed_event("payment_intent.succeeded", _succeeded(payment, order_id), event_id="evt_same")

    first = post_webhook(client, body, signature)
    second = post_webhook(client, body, signature)
    other = post_webhook(client, *signed_event("payment_intent.succeeded", _succeeded(payment, order_id)))

    assert (first.status_code, second.status_code, other.status_code) == (200, 200, 200)
    assert first.get_json()["outcome"] == "succeeded"
    assert second.get_json()["outcome"] == "duplicate"
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "succeeded"
    assert len(outbox_events(db, "payments.payment_succeeded.v1")) == 1


def test_webhook_for_an_intent_we_do_not_know_is_acknowledged(client, db):
    """Stripe's events about other things (or other apps' intents) are acknowledged and ignored."""
    intent = {"id": "pi_elsewhere", "status": "succeeded", "amount": 100, "currency": "usd", "metadata": {}}
    response = post_webhook(client, *signed_event("payment_intent.succeeded", intent))
    assert response.status_code == 200 and response.get_json()["outcome"] == "unknown"
    customer = post_webhook(client, *signed_event("customer.created", {"id": "cus_1"}))
    assert customer.status_code == 200 and customer.get_json()["outcome"] == "ignored"
    assert outbox_events(db, "payments.payment_succeeded.v1") == []


def test_webhook_secret_is_what_verifies(app, client):
    """An event signed with the configured secret passes; the same event under another secret does not."""
    assert app.config["STRIPE_WEBHOOK_SECRET"] == WEBHOOK_SECRET
    intent = {"id": "pi_x", "status": "succeeded", "amount": 1, "currency": "usd", "metadata": {}}
    body, signature = signed_event("payment_intent.succeeded", intent)
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_rotated"
    assert post_webhook(client, body, signature).status_code == 400
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    assert post_webhook(client, body, signature).status_code == 200
