"""Signed webhooks that try to pay with the wrong money, reach someone else's order, or crash us."""

import hashlib
import hmac
import json
import logging
import time

import pytest

from tests.integration.payments.support import (
    WEBHOOK_SECRET,
    card_token,
    given_order,
    outbox_events,
    post_payment,
    post_webhook,
    render_order_slot,
    signed_event,
    start_three_d_secure_payment,
)
from tests.servers import sign_in, wait_until


def _sign(body, timestamp=None, secret=WEBHOOK_SECRET):
    created = int(time.time() if timestamp is None else timestamp)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = hmac.new(secret.encode(), f"{created}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, f"t={created},v1={signature}"


def _slot(app, client, order_id, buyer):
    return render_order_slot(app, client, order_id=order_id, status="created", amount=2050, currency="USD",
                             expires_at="2999-01-01T00:00:00.000Z", user_id=buyer)


@pytest.mark.parametrize("amount, currency", [(1, "usd"), (2050, "eur"), (2051, "usd")])
def test_a_signed_success_with_other_money_is_refunded_and_the_order_stays_payable(
        app, client, db, stripe_client, amount, currency):
    """Stripe's word that an attempt succeeded completes the order only for exactly its price in its currency."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer, price=2050, currency="USD")
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    intent = {"id": payment["stripeId"], "status": "succeeded", "amount": amount, "currency": currency,
              "metadata": {"order_id": order_id, "payment_id": payment["id"]}}

    response = post_webhook(client, *signed_event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    assert outbox_events(db, "payments.payment_succeeded.v1") == []  # orders never hears the order was paid
    refund = db.payments_refunds.find_one({"order_id": order_id})
    assert (refund["reason"], refund["amount"], refund["currency"]) == ("amount mismatch", amount, currency.upper())
    attempt = db.payments_payments.find_one({"order_id": order_id})
    assert attempt["holds_slot"] is None  # the order's payment slot is free again
    html = _slot(app, client, order_id, buyer)
    assert "amount mismatch" in html and 'id="card-element"' in html and "Paid" not in html
    # ...and the buyer can still pay the right price.
    good = post_payment(client, order_id, card_token(stripe_client, "4242424242424242"))
    assert good.status_code == 201 and good.get_json()["payment"]["status"] == "succeeded"
    [paid] = outbox_events(db, "payments.payment_succeeded.v1")
    assert (paid["amount"], paid["currency"]) == (2050, "USD")


@pytest.mark.consumer
def test_one_cent_paid_at_stripe_for_someone_elses_order_is_refunded_at_stripe(
        app, client, db, stripe_client, worker):
    """A PaymentIntent of 1 cent made outside the app, naming a $20.50 order, never pays it: Stripe refunds it."""
    victim = sign_in(client)
    order_id = given_order(app, victim, price=2050)
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 1, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa",
        "metadata": {"order_id": order_id}})
    assert intent.status == "succeeded"
    body = {"id": intent.id, "status": "succeeded", "amount": 1, "currency": "usd",
            "metadata": {"order_id": order_id}}

    assert post_webhook(client, *signed_event("payment_intent.succeeded", body)).status_code == 200

    refund = wait_until(lambda: db.payments_refunds.find_one({"order_id": order_id, "status": "succeeded"}),
                        timeout=20, message="the refund at Stripe")
    [at_stripe] = stripe_client.v1.refunds.list(params={"payment_intent": intent.id}).data
    assert at_stripe.amount == 1 and refund["reason"] == "amount mismatch"
    assert outbox_events(db, "payments.payment_succeeded.v1") == []
    [event] = outbox_events(db, "payments.payment_refunded.v1")
    assert (event["order_id"], event["amount"], event["reason"]) == (order_id, 1, "amount mismatch")
    html = _slot(app, client, order_id, victim)
    assert "Refunded $0.01" in html and "amount mismatch" in html and 'id="card-element"' in html


def test_operators_in_metadata_never_reach_a_query(app, client, db, stripe_client):
    """`{"$ne": null}` as an order or payment id matched another user's order; now the body is ignored."""
    victim = sign_in(client)
    order_id = given_order(app, victim)
    pending = start_three_d_secure_payment(client, stripe_client, order_id)
    for metadata in ({"order_id": {"$ne": None}}, {"payment_id": {"$ne": None}},
                     {"order_id": {"$gt": ""}, "payment_id": {"$exists": True}}, {"order_id": ["x"]}):
        intent = {"id": "pi_attacker", "status": "succeeded", "amount": 2050, "currency": "usd",
                  "metadata": metadata}
        response = post_webhook(client, *signed_event("payment_intent.succeeded", intent))
        assert (response.status_code, response.get_json()["outcome"]) == (200, "ignored"), metadata
    assert [str(p["_id"]) for p in db.payments_payments.find()] == [pending["id"]]
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "pending"
    assert outbox_events(db, "payments.payment_succeeded.v1") == []


UNUSABLE = {
    "a list": [],
    "an empty object": {},
    "null": None,
    "a string": "payment_intent.succeeded",
    "no id": {"type": "payment_intent.succeeded", "data": {"object": {}}},
    "an integer id": {"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}},
    "an object id": {"id": {"$ne": None}, "type": "payment_intent.succeeded"},
    "no type": {"id": "evt_no_type", "data": {"object": {}}},
    "a list type": {"id": "evt_list_type", "type": ["payment_intent.succeeded"]},
    "no data": {"id": "evt_no_data", "type": "payment_intent.succeeded"},
    "data a list": {"id": "evt_data_list", "type": "payment_intent.succeeded", "data": []},
    "object not a dict": {"id": "evt_obj", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}},
    "no intent id": {"id": "evt_no_pi", "type": "payment_intent.succeeded",
                     "data": {"object": {"amount": 1, "currency": "usd", "metadata": {}}}},
    "an integer intent id": {"id": "evt_int_pi", "type": "payment_intent.payment_failed",
                             "data": {"object": {"id": 5, "amount": 1, "currency": "usd", "metadata": {}}}},
    "metadata missing": {"id": "evt_no_meta", "type": "payment_intent.succeeded",
                         "data": {"object": {"id": "pi_1", "amount": 1, "currency": "usd"}}},
    "metadata a list": {"id": "evt_meta_list", "type": "payment_intent.succeeded",
                        "data": {"object": {"id": "pi_1", "amount": 1, "currency": "usd", "metadata": []}}},
    "amount text": {"id": "evt_amount_text", "type": "payment_intent.succeeded",
                    "data": {"object": {"id": "pi_1", "amount": "2050", "currency": "usd", "metadata": {}}}},
    "amount true": {"id": "evt_amount_bool", "type": "payment_intent.succeeded",
                    "data": {"object": {"id": "pi_1", "amount": True, "currency": "usd", "metadata": {}}}},
    "amount negative": {"id": "evt_amount_neg", "type": "payment_intent.succeeded",
                        "data": {"object": {"id": "pi_1", "amount": -5, "currency": "usd", "metadata": {}}}},
    "currency missing": {"id": "evt_no_cur", "type": "payment_intent.succeeded",
                         "data": {"object": {"id": "pi_1", "amount": 5, "metadata": {}}}},
    "failure message an object": {"id": "evt_msg", "type": "payment_intent.payment_failed",
                                  "data": {"object": {"id": "pi_1", "amount": 5, "currency": "usd",
                                                      "metadata": {"payment_id": 12}}}},
}


@pytest.mark.parametrize("what", sorted(UNUSABLE))
def test_every_signed_body_we_cannot_use_is_acknowledged_ignored_and_logged(client, db, caplog, what):
    caplog.set_level(logging.WARNING, logger="app.payments")
    response = post_webhook(client, *_sign(UNUSABLE[what]))
    assert (response.status_code, response.get_json()) == (200, {"received": True, "outcome": "ignored"})
    assert any("webhook ignored" in r.getMessage() for r in caplog.records), what
    assert db.payments_payments.count_documents({}) == 0 and db.payments_webhook_events.count_documents({}) == 0


def test_signed_text_that_is_not_json_is_ignored(client, db):
    for body in (b"not json", b"{", b"", b"[1, 2"):
        response = post_webhook(client, *_sign(body))
        assert (response.status_code, response.get_json()["outcome"]) == (200, "ignored"), body
    # Bytes that are not UTF-8 cannot be checked against a signature at all (Stripe signs text): refused.
    assert post_webhook(client, *_sign(b"\xff\xfe")).status_code == 400


@pytest.mark.parametrize("offset", [3600, 301 + 60])
def test_a_signature_dated_in_the_future_is_refused_like_an_old_one(app, client, db, stripe_client, offset):
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    intent = {"id": payment["stripeId"], "status": "succeeded", "amount": 2050, "currency": "usd",
              "metadata": {"order_id": order_id, "payment_id": payment["id"]}}
    for timestamp in (time.time() + offset, time.time() - offset):
        response = post_webhook(client, *signed_event("payment_intent.succeeded", intent, timestamp=timestamp))
        assert response.status_code == 400, timestamp
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "pending"
    # Within the tolerance either way (clocks differ a little) it is applied.
    on_time = post_webhook(client, *signed_event("payment_intent.succeeded", intent, timestamp=time.time() + 60))
    assert on_time.get_json()["outcome"] == "succeeded"
