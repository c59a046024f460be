"""The orders pages: purchase from a ticket's page, my orders, an order with its countdown, cancelling."""

import re

import pytest
from bson import ObjectId

from app.orders import services
from tests.integration.tickets.support import csrf_token, list_ticket
from tests.servers import drain, sign_in


@pytest.fixture
def ticket_id(app):
    """Return the id of a ticket another user listed, already in orders' replica."""
    with app.app_context():
        return list_ticket(app, str(ObjectId()), "Symphony", 42.5)


def _purchase(client, ticket_id):
    token = csrf_token(client, f"/tickets/{ticket_id}")
    return client.post("/orders", data={"csrf_token": token, "ticket_id": ticket_id})


def test_purchase_from_the_ticket_page_creates_the_order_and_shows_it(client, ticket_id, db):
    buyer = sign_in(client)
    response = _purchase(client, ticket_id)
    assert response.status_code == 302
    order = db.orders_orders.find_one({"user_id": buyer})
    assert order["ticket_id"] == ticket_id and order["status"] == "created"
    assert response.headers["Location"] == f"/orders/{order['_id']}"


def test_purchase_of_a_reserved_ticket_goes_back_with_the_reason(app, client, ticket_id, db):
    with app.app_context():
        services.place_order(str(ObjectId()), ticket_id)
    sign_in(client)
    response = _purchase(client, ticket_id)
    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{ticket_id}"
    assert "Ticket is already reserved" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.orders_orders.count_documents({}) == 1


def test_purchase_needs_a_csrf_token(client, ticket_id, db):
    sign_in(client)
    assert client.post("/orders", data={"ticket_id": ticket_id}).status_code == 400
    assert db.orders_orders.count_documents({}) == 0


def test_purchase_with_a_garbage_ticket_id_goes_home(client):
    sign_in(client)
    token = csrf_token(client, "/orders")
    response = client.post("/orders", data={"csrf_token": token, "ticket_id": "garbage"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_order_page_counts_down_and_offers_cancel(client, ticket_id):
    sign_in(client)
    location = _purchase(client, ticket_id).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Symphony" in page and "$42.50" in page and "Reserved" in page
    countdown = re.search(r'<span id="countdown"[^>]*data-seconds-left="(\d+)"[^>]*>([^<]+)</span>', page)
    assert countdown and 890 <= int(countdown.group(1)) <= 900
    assert re.fullmatch(r"1[45]:\d\d", countdown.group(2))
    # The countdown's script is a file (the CSP allows no inline script), and it turns the countdown into "expired".
    assert '<script src="/static/countdown.js"></script>' in page and "<script>" not in page
    assert '"expired"' in client.get("/static/countdown.js").get_data(as_text=True)
    assert f'action="{location}/cancel"' in page


def test_an_overdue_order_page_says_expired(app, client, ticket_id):
    buyer = sign_in(client)
    app.config["ORDER_EXPIRATION_SECONDS"] = 0
    with app.app_context():
        order = services.place_order(buyer, ticket_id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert re.search(r'<span id="countdown"[^>]*>expired</span>', page)


def test_cancel_button_cancels_the_order(client, ticket_id, db):
    buyer = sign_in(client)
    location = _purchase(client, ticket_id).headers["Location"]
    token = csrf_token(client, location)
    response = client.post(f"{location}/cancel", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.orders_orders.find_one({"user_id": buyer})["status"] == "cancelled"
    page = client.get(location).get_data(as_text=True)
    assert "Your order was cancelled." in page and "Cancelled" in page and "countdown" not in page


def test_my_orders_lists_ticket_price_status_and_time_left(app, client, ticket_id):
    buyer = sign_in(client)
    with app.app_context():
        other = list_ticket(app, str(ObjectId()), "Ballet", 10)
        paid = services.place_order(buyer, other)
        drain(app)  # tickets accepts the reservation: only then can the order be paid
        services.complete_order(str(paid.id), "pay_1")
        services.place_order(buyer, ticket_id)
    page = client.get("/orders").get_data(as_text=True)
    assert page.index("Symphony") < page.index("Ballet")  # newest first
    assert "$42.50" in page and "$10.00" in page
    assert "Paid" in page and "Reserved" in page
    assert re.search(r"<td>1[45]:\d\d</td>", page)


def test_a_paid_order_page_says_paid_without_cancel(app, client, ticket_id):
    buyer = sign_in(client)
    with app.app_context():
        order = services.place_order(buyer, ticket_id)
        drain(app)
        services.complete_order(str(order.id), "pay_1")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Paid" in page and "Cancel order" not in page and "countdown" not in page


def test_order_pages_are_private(app, client, ticket_id):
    with app.app_context():
        order = services.place_order(str(ObjectId()), ticket_id)
    sign_in(client)
    assert client.get(f"/orders/{order.id}").status_code == 401
    assert client.get(f"/orders/{ObjectId()}").status_code == 404
    assert client.get("/orders/garbage").status_code == 404
    visitor = app.test_client()
    response = visitor.get("/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/signin?next=")


def test_order_page_offers_the_payments_slot_what_it_needs(app, client, ticket_id):
    seen = []
    renderers = app.extensions["slots"].setdefault("order_page", [])
    renderers.append(lambda **kwargs: seen.append(kwargs) or "<p>payment box here</p>")
    try:
        buyer = sign_in(client)
        location = _purchase(client, ticket_id).headers["Location"]
        page = client.get(location).get_data(as_text=True)
    finally:
        renderers.pop()
    assert "<p>payment box here</p>" in page
    order_id = location.rsplit("/", 1)[1]
    assert seen[0]["order_id"] == order_id
    assert (seen[0]["status"], seen[0]["amount"], seen[0]["currency"], seen[0]["user_id"]) == (
        "created", 4250, "USD", buyer)
    assert seen[0]["expires_at"].endswith("Z")
