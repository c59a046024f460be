"""The orders JSON API: reserving, listing, showing and cancelling orders, with the original services' statuses."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.orders import services
from tests.integration.tickets.support import list_ticket, user_client
from tests.servers import drain, sign_in


@pytest.fixture
def ticket_id(app):
    """Return the id of a ticket another user listed, already in orders' replica."""
    with app.app_context():
        return list_ticket(app, str(ObjectId()), "Concert", 20.5)


def _order(client, ticket_id):
    return client.post("/api/orders", json={"ticketId": ticket_id})


def test_create_reserves_the_ticket_until_the_expiry(app, client, ticket_id, db):
    buyer = sign_in(client)
    before = datetime.now(UTC)
    response = _order(client, ticket_id)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "userId": buyer, "status": "created", "expiresAt": body["expiresAt"],
                    "version": 0, "cancelReason": None, "ticket": {"id": ticket_id, "title": "Concert", "price": 20.5},
                    "eticket": None}
    assert body["expiresAt"].endswith("Z")
    expires = datetime.fromisoformat(body["expiresAt"])
    window = timedelta(seconds=app.config["ORDER_EXPIRATION_SECONDS"])
    assert before + window - timedelta(seconds=1) <= expires <= datetime.now(UTC) + window
    event = db.platform_outbox.find_one({"aggregate_id": body["id"]})
    assert event["type"] == "orders.order_created.v1"
    assert (event["payload"]["ticket_id"], event["payload"]["price"], event["payload"]["currency"]) == (
        ticket_id, 2050, "USD")


def test_create_schedules_the_expiry_timer(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    # Huey queues a task with an eta; the consumer's scheduler keeps it until then.
    timers = [t for t in app.extensions["huey"].pending() if t.name == "expire_order_task"]
    assert [t.args for t in timers] == [(order_id,)]
    expires_at = datetime.fromisoformat(client.get(f"/api/orders/{order_id}").get_json()["expiresAt"][:-1])
    assert abs((timers[0].eta - expires_at).total_seconds()) < 0.01


def test_create_signed_out_is_401(client, ticket_id, db):
    assert _order(client, ticket_id).status_code == 401
    assert db.orders_orders.count_documents({}) == 0


@pytest.mark.parametrize("body, message", [
    ({}, "TicketId must be provided"),
    ({"ticketId": ""}, "TicketId must be provided"),
    ({"ticketId": "not-an-id"}, "TicketId must be a valid id"),
    ({"ticketId": 12}, "TicketId must be a valid id"),
])
def test_create_without_a_valid_ticket_id_is_400(client, body, message):
    sign_in(client)
    response = client.post("/api/orders", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": "ticketId"}]}


def test_create_for_an_unknown_ticket_is_404(client):
    sign_in(client)
    response = _order(client, str(ObjectId()))
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["message"] == "Ticket not found"


def test_create_for_a_reserved_ticket_is_400(app, client, ticket_id, db):
    sign_in(client)
    assert _order(client, ticket_id).status_code == 201
    rival, _ = user_client(app)
    response = _order(rival, ticket_id)
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "Ticket is already reserved", "field": "ticketId"}]}
    assert db.orders_orders.count_documents({}) == 1


def test_create_for_your_own_ticket_is_400(app, client, db):
    seller = sign_in(client)
    with app.app_context():
        ticket_id = list_ticket(app, seller)
    response = _order(client, ticket_id)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"] == "You cannot purchase your own ticket"
    assert db.orders_orders.count_documents({}) == 0


def test_create_for_a_sold_ticket_is_400(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    with app.app_context():
        drain(app)  # tickets accepts the reservation: only then can the order be paid
        services.complete_order(order_id, "pay_1")
    rival, _ = user_client(app)
    assert _order(rival, ticket_id).status_code == 400


def test_a_cancelled_order_frees_the_ticket_for_someone_else(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    assert client.delete(f"/api/orders/{order_id}").status_code == 204
    rival, _ = user_client(app)
    assert _order(rival, ticket_id).status_code == 201


def test_list_returns_the_users_orders_newest_first(app, client):
    sign_in(client)
    with app.app_context():
        first = list_ticket(app, str(ObjectId()), "First", 1)
        second = list_ticket(app, str(ObjectId()), "Second", 2)
    a = _order(client, first).get_json()
    b = _order(client, second).get_json()
    stranger, _ = user_client(app)
    response = client.get("/api/orders")
    assert response.status_code == 200
    assert response.get_json() == [b, a]
    assert stranger.get("/api/orders").get_json() == []


def test_list_signed_out_is_401(client):
    assert client.get("/api/orders").status_code == 401


def test_show_returns_the_users_order(client, ticket_id):
    sign_in(client)
    created = _order(client, ticket_id).get_json()
    response = client.get(f"/api/orders/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created


def test_show_another_users_order_is_401(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    stranger, _ = user_client(app)
    assert stranger.get(f"/api/orders/{order_id}").status_code == 401
    assert app.test_client().get(f"/api/orders/{order_id}").status_code == 401


@pytest.mark.parametrize("order_id", [str(ObjectId()), "garbage"])
def test_show_unknown_or_malformed_order_is_404(client, order_id):
    sign_in(client)
    response = client.get(f"/api/orders/{order_id}")
    assert response.status_code == 404
    assert response.get_json() == {"errors": [{"message": "Order not found"}]}


def test_delete_cancels_and_repeating_it_is_harmless(client, ticket_id, db):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    assert client.delete(f"/api/orders/{order_id}").status_code == 204
    assert client.delete(f"/api/orders/{order_id}").status_code == 204
    body = client.get(f"/api/orders/{order_id}").get_json()
    assert (body["status"], body["version"]) == ("cancelled", 1)
    events = list(db.platform_outbox.find({"aggregate_id": order_id, "type": "orders.order_cancelled.v1"}))
    assert [(e["version"], e["payload"]["reason"]) for e in events] == [(1, "cancelled")]


def test_delete_another_users_order_is_401(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    stranger, _ = user_client(app)
    assert stranger.delete(f"/api/orders/{order_id}").status_code == 401
    assert app.test_client().delete(f"/api/orders/{order_id}").status_code == 401
    assert client.get(f"/api/orders/{order_id}").get_json()["status"] == "created"


@pytest.mark.parametrize("order_id", [str(ObjectId()), "garbage"])
def test_delete_unknown_order_is_404(client, order_id):
    sign_in(client)
    assert client.delete(f"/api/orders/{order_id}").status_code == 404


def test_delete_a_paid_order_is_400(app, client, ticket_id):
    sign_in(client)
    order_id = _order(client, ticket_id).get_json()["id"]
    with app.app_context():
        drain(app)  # tickets accepts the reservation: only then can the order be paid
        services.complete_order(order_id, "pay_1")
    response = client.delete(f"/api/orders/{order_id}")
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "A paid order cannot be cancelled"}]}
    assert client.get(f"/api/orders/{order_id}").get_json()["status"] == "complete"
