"""POST /api/payments against a real localstripe: success, refusals, declines, double submits, Stripe down."""

import threading

from app.platform.embedded import free_port
from tests.integration.payments.support import (
    authenticate_3ds,
    cancel_order,
    card_token,
    charges_for_order,
    given_order,
    intents_for_order,
    outbox_events,
    post_payment,
)
from tests.servers import sign_in

VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_D_SECURE = "4000002500003155"


def test_pay_with_a_payment_method_charges_the_order_amount_once(app, client, db, stripe_client):
    """Pay with pm_card_visa: 201 with the payment, one confirmed PaymentIntent carrying the order id."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer, price=2050, currency="USD")

    response = post_payment(client, order_id, "pm_card_visa")

    assert response.status_code == 201, response.get_json()
    payment = response.get_json()["payment"]
    assert payment["orderId"] == order_id
    assert payment["userId"] == buyer
    assert payment["amount"] == 2050 and payment["currency"] == "USD"
    assert payment["status"] == "succeeded"
    assert payment["stripeId"].startswith("pi_")
    [intent] = intents_for_order(stripe_client, order_id)
    assert intent.id == payment["stripeId"]
    assert (intent.amount, intent.currency, intent.status) == (2050, "usd", "succeeded")
    assert len(charges_for_order(stripe_client, order_id)) == 1
    [event] = outbox_events(db, "payments.payment_succeeded.v1")
    assert event["order_id"] == order_id and event["aggregate_id"] == payment["id"]
    assert event["amount"] == 2050 and event["stripe_id"] == payment["stripeId"]


def test_pay_with_a_card_token_as_stripe_js_gives_it(app, client, stripe_client):
    """Pay with a tok_… from createToken: the card goes through a customer and the intent succeeds."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer, price=1000)

    response = post_payment(client, order_id, card_token(stripe_client, VISA))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["payment"]["status"] == "succeeded"
    assert len(charges_for_order(stripe_client, order_id)) == 1


def test_signed_out_is_401(app, client):
    """Refuse a payment from a visitor who is not signed in."""
    order_id = given_order(app, "someone")
    response = post_payment(client, order_id, "pm_card_visa")
    assert response.status_code == 401


def test_someone_elses_order_is_401_and_charges_nothing(app, client, stripe_client):
    """Refuse to pay for another user's order, before Stripe is asked for anything."""
    owner_order = given_order(app, "the-owner")
    sign_in(client)

    response = post_payment(client, owner_order, "pm_card_visa")

    assert response.status_code == 401
    assert intents_for_order(stripe_client, owner_order) == []


def test_unknown_or_malformed_order_is_404(client):
    """Answer 404 for an order payments does not know, whatever its id looks like."""
    sign_in(client)
    assert post_payment(client, "0123456789abcdef01234567", "pm_card_visa").status_code == 404
    assert post_payment(client, "not-an-id", "pm_card_visa").status_code == 404


def test_missing_fields_are_400_one_error_each(client):
    """Answer 400 with one error per missing field."""
    sign_in(client)
    response = client.post("/api/payments", json={})
    assert response.status_code == 400
    assert {e["field"] for e in response.get_json()["errors"]} == {"orderId", "token"}
    assert client.post("/api/payments", data="orderId=x").status_code == 415


def test_cancelled_order_is_400(app, client, stripe_client):
    """Refuse money for a cancelled order with the original message."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    cancel_order(app, order_id, buyer, reason="cancelled")

    response = post_payment(client, order_id, "pm_card_visa")

    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"] == "Cannot pay for a cancelled order"
    assert intents_for_order(stripe_client, order_id) == []


def test_order_past_its_expiry_is_400(app, client, stripe_client):
    """Refuse money for an order whose reservation has run out even before orders has cancelled it."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer, expires_in=-1)

    response = post_payment(client, order_id, "pm_card_visa")

    assert response.status_code == 400
    assert "expired" in response.get_json()["errors"][0]["message"]
    assert intents_for_order(stripe_client, order_id) == []


def test_declined_card_is_402_and_the_order_stays_payable(app, client, db, stripe_client):
    """A decline answers 402 with Stripe's message, records a failed attempt, and a new attempt may succeed."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    declined = post_payment(client, order_id, card_token(stripe_client, DECLINED))

    assert declined.status_code == 402
    assert declined.get_json()["errors"][0]["message"] == "Your card was declined."
    [attempt] = db.payments_payments.find({"order_id": order_id})
    assert attempt["status"] == "failed"
    assert outbox_events(db, "payments.payment_succeeded.v1") == []

    retried = post_payment(client, order_id, "pm_card_visa")

    assert retried.status_code == 201
    assert len(charges_for_order(stripe_client, order_id)) == 1
    assert sorted(p["status"] for p in db.payments_payments.find({"order_id": order_id})) == ["failed", "succeeded"]


def test_declined_payment_method_is_402(app, client):
    """A declining PaymentMethod answers 402 too."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    response = post_payment(client, order_id, "pm_card_chargeCustomerFail")
    assert response.status_code == 402
    assert response.get_json()["errors"][0]["message"] == "Your card was declined."


def test_second_post_for_a_paid_order_is_400_and_charges_once(app, client, db, stripe_client):
    """Submitting again after paying is refused; the card is charged once."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    assert post_payment(client, order_id, "pm_card_visa").status_code == 201
    again = post_payment(client, order_id, "pm_card_visa")

    assert again.status_code == 400
    assert again.get_json()["errors"][0]["message"] == "This order is already paid"
    assert len(intents_for_order(stripe_client, order_id)) == 1
    assert len(charges_for_order(stripe_client, order_id)) == 1
    assert len(outbox_events(db, "payments.payment_succeeded.v1")) == 1


def test_concurrent_posts_for_one_order_charge_once(app, db, stripe_client):
    """Six POSTs for one order at the same moment: one 201, the others refused, one charge at Stripe."""
    buyer = "concurrent-buyer"
    order_id = given_order(app, buyer)
    clients = [app.test_client() for _ in range(6)]
    for c in clients:
        sign_in(c, user_id=buyer)
    start = threading.Barrier(len(clients))
    statuses = []

    def pay(c):
        start.wait()
        statuses.append(post_payment(c, order_id, "pm_card_visa").status_code)

    threads = [threading.Thread(target=pay, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(statuses).count(201) == 1, statuses
    assert set(statuses) - {201} <= {400, 409}, statuses
    assert len(intents_for_order(stripe_client, order_id)) == 1
    assert len(charges_for_order(stripe_client, order_id)) == 1
    assert db.payments_payments.count_documents({"order_id": order_id, "status": "succeeded"}) == 1
    assert len(outbox_events(db, "payments.payment_succeeded.v1")) == 1


def test_stripe_unreachable_is_502_and_the_order_stays_payable(app, client, db, stripe_client, localstripe_server):
    """With Stripe out of reach: 502 with a clear message, nothing charged, and paying works once it is back."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    response = post_payment(client, order_id, "pm_card_visa")

    assert response.status_code == 502
    assert "could not be reached" in response.get_json()["errors"][0]["message"]
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "failed"

    app.config["STRIPE_API_BASE"] = localstripe_server.url
    assert post_payment(client, order_id, "pm_card_visa").status_code == 201
    assert len(charges_for_order(stripe_client, order_id)) == 1


def test_three_d_secure_returns_a_client_secret_and_holds_the_order(app, client, db, stripe_client,
                                                                  localstripe_server):
    """A card that needs 3-D Secure answers 201 pending with a client secret; nobody can pay twice meanwhile."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    response = post_payment(client, order_id, card_token(stripe_client, THREE_D_SECURE))

    assert response.status_code == 201
    payment = response.get_json()["payment"]
    assert payment["status"] == "pending" and payment["clientSecret"]
    assert post_payment(client, order_id, "pm_card_visa").status_code == 409
    assert db.payments_payments.count_documents({"order_id": order_id}) == 1

    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"])
    with app.app_context():
        from app.payments.services import sync_payment

        assert sync_payment(payment["id"])[0].status == "succeeded"
    assert len(charges_for_order(stripe_client, order_id)) == 1
    assert len(outbox_events(db, "payments.payment_succeeded.v1")) == 1


def test_a_token_stripe_does_not_know_is_400_and_the_order_stays_payable(app, client):
    """A made-up pm_…/tok_… is the client's mistake: 400 on the token, and the order can still be paid."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    for token in ("pm_made_up", "tok_made_up"):
        response = post_payment(client, order_id, token)
        assert response.status_code == 400, (token, response.get_json())
        assert response.get_json()["errors"][0]["field"] == "token"
    assert post_payment(client, order_id, "pm_card_visa").status_code == 201
