"""When payments runs as its own service, its own page takes the card and the order page links to it."""

from app import create_app
from app.orders import services as orders
from tests.integration.payments.support import given_order
from tests.servers import sign_in


def test_payments_own_page_shows_the_card_field_to_the_owner_only(stripe_app, client):
    buyer = sign_in(client)
    order_id = given_order(stripe_app, buyer, price=2550)
    page = client.get(f"/payments/orders/{order_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Pay $25.50" in text and 'id="card-element"' in text
    stranger = stripe_app.test_client()
    sign_in(stranger)
    assert stranger.get(f"/payments/orders/{order_id}", headers={"Accept": "text/html"}).status_code == 401
    assert client.get("/payments/orders/not-an-id", headers={"Accept": "text/html"}).status_code == 404


def test_an_orders_service_without_payments_links_to_the_payments_page(base_env, stripe_env):
    orders_only = create_app(dict(base_env) | stripe_env | {"CONTEXTS": "auth,tickets,orders"})
    client = orders_only.test_client()
    seller, buyer = "5f0000000000000000000001", sign_in(client)
    with orders_only.app_context():
        orders.record_ticket("5f00000000000000000000aa", 0, "Split show", 1200, "USD", seller, "available", None)
        order = orders.place_order(buyer, "5f00000000000000000000aa")
    text = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'href="/payments/orders/{order.id}"' in text
    assert "Pay for this order" in text
    assert 'id="card-element"' not in text
