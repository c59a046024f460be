"""Money an order cannot take is refunded through Stripe by a real worker, recorded, and shown on the page."""

import pytest
from bson import ObjectId

from app.orders.events import OrderPaymentRejected
from app.platform.events import emit
from app.platform.uow import run_in_transaction
from tests.integration.payments.support import (
    authenticate_3ds,
    cancel_order,
    given_order,
    outbox_events,
    post_payment,
    render_order_slot,
    start_three_d_secure_payment,
)
from tests.servers import sign_in, wait_until

pytestmark = pytest.mark.consumer


def _refund_done(db, order_id):
    refund = db.payments_refunds.find_one({"order_id": order_id})
    return refund if refund and refund["status"] == "succeeded" else None


def test_money_arriving_after_the_order_expired_is_refunded(app, client, db, stripe_client, localstripe_server,
                                                            live_server_url, worker):
    """The buyer finishes 3-D Secure after the order expired: Stripe's webhook brings money we give back."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    cancel_order(app, order_id, buyer, reason="expired")

    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"])

    refund = wait_until(lambda: _refund_done(db, order_id), timeout=20, message="the refund to be recorded")
    assert refund["payment_id"] == payment["id"] and refund["amount"] == 2050
    [at_stripe] = stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data
    assert at_stripe.id == refund["stripe_refund_id"] and at_stripe.amount == 2050
    assert outbox_events(db, "payments.payment_succeeded.v1") == []
    [event] = outbox_events(db, "payments.payment_refunded.v1")
    assert event["order_id"] == order_id and event["refund_id"] == at_stripe.id
    assert event["reason"] == "order cancelled"  # the refund says why, for whoever tells the buyer
    html = render_order_slot(app, client, order_id=order_id, status="cancelled", amount=2050, currency="USD",
                             expires_at="2000-01-01T00:00:00Z", user_id=buyer)
    assert "Refunded $20.50" in html and "Paid" not in html


def test_order_payment_rejected_refunds_the_payment_once(app, client, db, stripe_client, worker):
    """Orders rejecting a payment (twice, even) leads to exactly one refund at Stripe."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = post_payment(client, order_id, "pm_card_visa").get_json()["payment"]

    def reject():
        emit(OrderPaymentRejected(aggregate_id=order_id, version=0, payment_id=payment["id"], reason="expired"))

    with app.app_context():
        run_in_transaction(reject)
        run_in_transaction(reject)

    wait_until(lambda: _refund_done(db, order_id), timeout=20, message="the refund to be recorded")
    wait_until(lambda: db.platform_inbox.count_documents(
        {"_id": {"$regex": "^app.payments.handlers.on_order_payment_rejected:"}}) == 2, timeout=20,
        message="both events applied")
    assert db.payments_refunds.count_documents({"order_id": order_id}) == 1
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data) == 1
    assert len(outbox_events(db, "payments.payment_refunded.v1")) == 1


def test_refund_waits_out_a_stripe_outage(app, client, db, stripe_client, localstripe_server, worker_factory,
                                          stripe_env):
    """A refund whose first tries cannot reach Stripe stays pending and succeeds once Stripe answers."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = post_payment(client, order_id, "pm_card_visa").get_json()["payment"]
    unreachable = {**stripe_env, "STRIPE_API_BASE": "http://127.0.0.1:9"}
    down = worker_factory(**unreachable)

    with app.app_context():
        from app.payments import refunds

        run_in_transaction(refunds.refund_payment, payment["id"], "order expired")
    # Stop the worker between two tries (not leased): a worker killed mid-call would hold the refund until its lease
    # runs out, which is covered by the sweep but slower.
    wait_until(lambda: db.payments_refunds.find_one({"order_id": order_id, "attempts": {"$gte": 2},
                                                     "lease_until": None}), timeout=15,
               message="Huey to retry the refund against the unreachable Stripe")
    pending = db.payments_refunds.find_one({"order_id": order_id})
    assert pending["status"] == "pending" and "APIConnectionError" in pending["failure_message"]
    down.stop()

    worker_factory(**stripe_env)
    done = wait_until(lambda: _refund_done(db, order_id), timeout=30, message="the refund after the outage")
    assert done["failure_message"] is None
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": payment["stripeId"]}).data) == 1


def test_refund_for_an_unknown_or_unpaid_payment_does_nothing(app, client, db):
    """A rejection naming no succeeded payment of ours creates no refund."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    with app.app_context():
        from app.payments import refunds

        assert run_in_transaction(refunds.refund_payment, str(ObjectId()), "expired") is None
        assert run_in_transaction(refunds.refund_payment, "garbage", "expired") is None
    assert db.payments_refunds.count_documents({"order_id": order_id}) == 0
