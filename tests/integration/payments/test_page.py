"""The payment box on the order page (the "order_page" slot) and the CSRF-protected routes its script calls."""

from tests.integration.payments.support import (
    authenticate_3ds,
    card_token,
    charges_for_order,
    csrf_headers,
    given_order,
    post_payment,
    render_order_slot,
)
from tests.servers import sign_in


def _order_args(order_id, user_id, status="created", amount=2050):
    return {"order_id": order_id, "status": status, "amount": amount, "currency": "USD",
            "expires_at": "2999-01-01T00:00:00.000Z", "user_id": user_id}


def test_owner_sees_the_card_field_with_demo_stripe_js(app, client, localstripe_server):
    """In demo mode the owner gets the banner, localstripe's stand-in stripe.js and a Pay button with the amount."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    html = render_order_slot(app, client, **_order_args(order_id, buyer))

    assert "Demo payments" in html
    assert f'<script src="{localstripe_server.url}/js.stripe.com/v3/"></script>' in html
    assert 'id="card-element"' in html
    assert "Pay $20.50" in html
    assert 'data-publishable-key="pk_test_demo"' in html
    # The box's script is a file of ours, after stripe.js (the CSP allows no inline script).
    assert html.index("/js.stripe.com/v3/") < html.index('<script src="/static/payments.js"></script>')
    assert "<script>" not in html and 'data-mode="card"' in html


def test_live_mode_loads_stripe_js_and_shows_no_banner(app, client):
    """With a secret key configured, the same page code loads Stripe's own stripe.js and the live publishable key."""
    app.config.update(STRIPE_SECRET_KEY="sk_live_configured", STRIPE_PUBLISHABLE_KEY="pk_live_configured",
                      STRIPE_JS_URL="https://js.stripe.com/v3/")
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    html = render_order_slot(app, client, **_order_args(order_id, buyer))

    assert "Demo payments" not in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert 'data-publishable-key="pk_live_configured"' in html


def test_others_see_no_card_field(app, client):
    """Someone who does not own the order, or a visitor, gets no card field."""
    order_id = given_order(app, "the-owner")
    assert 'id="card-element"' not in render_order_slot(app, app.test_client(), **_order_args(order_id, "the-owner"))
    sign_in(client)
    assert 'id="card-element"' not in render_order_slot(app, client, **_order_args(order_id, "the-owner"))


def test_page_pay_route_needs_the_csrf_token(app, client, stripe_client):
    """The page's POST without a CSRF token is refused and charges nothing."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    response = client.post(f"/payments/orders/{order_id}/pay", json={"token": "pm_card_visa"},
                           headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert charges_for_order(stripe_client, order_id) == []


def test_paying_from_the_page_then_the_box_says_paid(app, client, stripe_client):
    """Paying through the page route (a createToken token) records the payment; the box then says Paid."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)

    response = client.post(f"/payments/orders/{order_id}/pay", json={"token": card_token(stripe_client,
                                                                                        "4242424242424242")},
                           headers=csrf_headers(app, client))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["payment"]["status"] == "succeeded"
    status = client.get(f"/payments/orders/{order_id}/status", headers={"Accept": "application/json"}).get_json()
    assert status["paid"] is True
    html = render_order_slot(app, client, **_order_args(order_id, buyer))
    assert ">Paid</strong>" in html and 'id="card-element"' not in html
    # The page and the API share one path: the API now refuses a second payment.
    assert post_payment(client, order_id, "pm_card_visa").status_code == 400
    assert len(charges_for_order(stripe_client, order_id)) == 1


def test_failed_3d_secure_is_recorded_by_the_page_sync_and_the_order_stays_payable(app, client, db, stripe_client,
                                                                                   localstripe_server):
    """After a failed 3-D Secure (localstripe sends no webhook for it) the page's sync frees the order."""
    buyer = sign_in(client)
    order_id = given_order(app, buyer)
    headers = csrf_headers(app, client)
    started = client.post(f"/payments/orders/{order_id}/pay",
                          json={"token": card_token(stripe_client, "4000002500003155")}, headers=headers)
    payment = started.get_json()["payment"]
    assert started.status_code == 201 and payment["clientSecret"]
    assert "Payment in progress" in render_order_slot(app, client, **_order_args(order_id, buyer))

    authenticate_3ds(localstripe_server, payment["stripeId"], payment["clientSecret"], success=False)
    synced = client.post(f"/payments/attempts/{payment['id']}/sync", json={}, headers=headers)

    assert synced.status_code == 200
    assert synced.get_json()["payment"]["status"] == "failed"
    assert db.payments_payments.find_one({"order_id": order_id})["status"] == "failed"
    assert 'id="card-element"' in render_order_slot(app, client, **_order_args(order_id, buyer))
    assert post_payment(client, order_id, "pm_card_visa").status_code == 201


def test_status_and_sync_belong_to_the_owner(app, client):
    """Another user cannot read an order's payment status or sync its attempts."""
    owner = app.test_client()
    buyer = sign_in(owner)
    order_id = given_order(app, buyer)
    paid = post_payment(owner, order_id, "pm_card_visa").get_json()["payment"]
    sign_in(client)

    assert client.get(f"/payments/orders/{order_id}/status",
                      headers={"Accept": "application/json"}).status_code == 401
    assert client.post(f"/payments/attempts/{paid['id']}/sync", json={},
                       headers=csrf_headers(app, client)).status_code == 401
    assert client.get("/payments/orders/nope/status", headers={"Accept": "application/json"}).status_code == 404
