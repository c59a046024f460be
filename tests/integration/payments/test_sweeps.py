"""The payments sweep settles attempts that a lost webhook or a crashed request left pending."""

from datetime import timedelta

from app.payments import services
from app.platform.documents import utcnow
from tests.integration.payments.support import (
    authenticate_3ds,
    cancel_order,
    csrf_headers,
    given_order,
    outbox_events,
    post_payment,
    start_three_d_secure_payment,
)
from tests.servers import sign_in


def _age(db, order_id, seconds=600):
    db.payments_payments.update_many({"order_id": order_id}, {"$set": {"created_at": utcnow() - timedelta(
        seconds=seconds)}})


def test_sweep_records_a_success_whose_webhook_was_lost(app, client, db, stripe_client, localstripe_server):
    """3-D Secure passed but no webhook came: the sweep asks Stripe and records the payment once."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)
    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"])
    _age(db, order_id)

    with app.app_context():
        assert services.reconcile_stale_payments() == 1
        assert services.reconcile_stale_payments() == 0

    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "succeeded"
    assert len(outbox_events(db, "payments.payment_succeeded.v1")) == 1


def test_sweep_frees_an_abandoned_3d_secure_once_the_order_is_over(app, client, db, stripe_client):
    """A buyer who never finished 3-D Secure does not block anything after the order ended."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    start_three_d_secure_payment(client, stripe_client, order_id)
    _age(db, order_id)

    with app.app_context():
        services.reconcile_stale_payments()
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "pending"  # order still payable

    cancel_order(app, order_id, buyer)
    db.payments_payments.update_many({"order_id": order_id}, {"$set": {"checked_at": None}})
    with app.app_context():
        services.reconcile_stale_payments()
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "failed"


def test_sweep_frees_an_attempt_that_never_reached_stripe(app, client, db):
    """An attempt whose request died before Stripe answered releases the order for a new payment."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    with app.app_context():
        services._claim_payment_slot(order_id, buyer)
    assert post_payment(client, order_id, "pm_card_visa").status_code == 409
    _age(db, order_id)

    with app.app_context():
        assert services.reconcile_stale_payments() == 1

    assert post_payment(client, order_id, "pm_card_visa").status_code == 201


def test_page_sync_hands_back_the_client_secret_while_3d_secure_is_due(app, client, stripe_client):
    """Reloading the page during 3-D Secure resumes the same attempt instead of starting another."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    payment = start_three_d_secure_payment(client, stripe_client, order_id)

    synced = client.post(f"/payments/attempts/{payment['id']}/sync", json={}, headers=csrf_headers(app, client))

    assert synced.status_code == 200
    assert synced.get_json()["payment"]["clientSecret"] == payment["clientSecret"]
    assert synced.get_json()["payment"]["status"] == "pending"
