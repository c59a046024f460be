"""The tickets JSON API: listing, browsing and editing tickets, with the original services' statuses."""

import pytest
from bson import ObjectId

from app.tickets import services
from tests.servers import sign_in


@pytest.fixture
def seller(client):
    """Sign the test client in as a seller; return the seller's id."""
    return sign_in(client)


def _create(client, title="Concert", price=20.5):
    return client.post("/api/tickets", json={"title": title, "price": price})


def test_create_returns_the_ticket_with_price_in_major_units(client, seller, db):
    response = _create(client, "  Concert in the park  ", 20.5)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "title": "Concert in the park", "price": 20.5, "currency": "USD",
                    "status": "available", "userId": seller, "orderId": None, "version": 0, "eventId": None,
                    "event": None}
    stored = db.tickets_tickets.find_one({"_id": ObjectId(body["id"])})
    assert stored["price"] == 2050 and stored["currency"] == "USD"
    event = db.platform_outbox.find_one({"aggregate_id": body["id"]})
    assert event["type"] == "tickets.ticket_created.v1" and event["version"] == 0
    assert event["payload"]["price"] == 2050 and event["payload"]["user_id"] == seller


def test_create_uses_the_configured_currency(app, client, seller):
    app.config["CURRENCY"] = "EUR"
    assert _create(client, price=15).get_json()["currency"] == "EUR"


def test_create_signed_out_is_401(client, db):
    response = _create(client)
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"message": "Not authorized"}]}
    assert db.tickets_tickets.count_documents({}) == 0


@pytest.mark.parametrize("title, price, field, message", [
    ("", 10, "title", "Title is required"),
    ("   ", 10, "title", "Title is required"),
    (None, 10, "title", "Title is required"),
    ("x" * 201, 10, "title", "Title must be at most 200 characters"),
    ("Gig", 0, "price", "Price must be greater than 0"),
    ("Gig", -5, "price", "Price must be greater than 0"),
    ("Gig", 10.123, "price", "Price must have at most 2 decimal places"),
    ("Gig", 1_000_000.01, "price", "Price must be at most 1,000,000"),
    ("Gig", "ten", "price", "Price must be a number"),
    ("Gig", True, "price", "Price must be a number"),
    ("Gig", None, "price", "Price is required"),
])
def test_create_rejects_a_bad_field_with_one_error(client, seller, title, price, field, message, db):
    response = _create(client, title, price)
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": field}]}
    assert db.tickets_tickets.count_documents({}) == 0


def test_create_accepts_the_limits(client, seller):
    assert _create(client, "x" * 200, 1_000_000).status_code == 201
    assert _create(client, "y", 0.01).get_json()["price"] == 0.01


def test_create_reports_every_bad_field(client, seller):
    response = client.post("/api/tickets", json={})
    assert response.status_code == 400
    assert {e["field"] for e in response.get_json()["errors"]} == {"title", "price"}


def test_create_needs_a_json_body(client, seller):
    assert client.post("/api/tickets", data="title=x&price=1").status_code == 415
    assert client.post("/api/tickets", data="[1]", content_type="application/json").status_code == 400


def test_list_shows_available_tickets_newest_first(app, client, seller):
    first = _create(client, "First").get_json()
    second = _create(client, "Second").get_json()
    reserved = _create(client, "Reserved").get_json()
    with app.app_context():
        services.reserve_ticket(reserved["id"], str(ObjectId()))
    sign_in(client)  # anyone may browse; a different user sees the same list
    response = client.get("/api/tickets")
    assert response.status_code == 200
    assert [t["id"] for t in response.get_json()] == [second["id"], first["id"]]


def test_list_is_open_to_visitors(client):
    assert client.get("/api/tickets").get_json() == []


def test_show_returns_one_ticket_to_anyone(app, client, seller):
    created = _create(client).get_json()
    visitor = app.test_client()
    response = visitor.get(f"/api/tickets/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created


@pytest.mark.parametrize("ticket_id", [str(ObjectId()), "not-an-id", "123"])
def test_show_unknown_or_malformed_id_is_404(client, ticket_id):
    response = client.get(f"/api/tickets/{ticket_id}")
    assert response.status_code == 404
    assert response.get_json() == {"errors": [{"message": "Ticket not found"}]}


def test_update_changes_title_and_price_and_bumps_the_version(client, seller, db):
    created = _create(client).get_json()
    response = client.put(f"/api/tickets/{created['id']}", json={"title": "Encore", "price": 99.99})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["price"], body["version"]) == ("Encore", 99.99, 1)
    assert client.get(f"/api/tickets/{created['id']}").get_json() == body
    event = db.platform_outbox.find_one({"aggregate_id": created["id"], "version": 1})
    assert event["type"] == "tickets.ticket_updated.v1"
    assert (event["payload"]["title"], event["payload"]["price"]) == ("Encore", 9999)


def test_update_signed_out_is_401(app, client, seller):
    created = _create(client).get_json()
    response = app.test_client().put(f"/api/tickets/{created['id']}", json={"title": "Mine", "price": 1})
    assert response.status_code == 401


@pytest.mark.parametrize("ticket_id", [str(ObjectId()), "nope"])
def test_update_unknown_ticket_is_404(client, seller, ticket_id):
    assert client.put(f"/api/tickets/{ticket_id}", json={"title": "X", "price": 1}).status_code == 404


def test_update_by_someone_else_is_401_and_changes_nothing(app, client, seller):
    created = _create(client).get_json()
    other = app.test_client()
    sign_in(other)
    response = other.put(f"/api/tickets/{created['id']}", json={"title": "Stolen", "price": 1})
    assert response.status_code == 401
    assert client.get(f"/api/tickets/{created['id']}").get_json()["title"] == "Concert"


def test_update_with_invalid_fields_is_400(client, seller):
    created = _create(client).get_json()
    response = client.put(f"/api/tickets/{created['id']}", json={"title": "", "price": 5})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "Title is required", "field": "title"}]}


def test_update_of_a_reserved_ticket_is_refused(app, client, seller):
    created = _create(client).get_json()
    with app.app_context():
        services.reserve_ticket(created["id"], str(ObjectId()))
    response = client.put(f"/api/tickets/{created['id']}", json={"title": "Too late", "price": 5})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "Cannot edit a reserved ticket"}]}
    assert client.get(f"/api/tickets/{created['id']}").get_json()["title"] == "Concert"


def test_update_of_a_sold_ticket_is_refused(app, client, seller):
    created = _create(client).get_json()
    order = str(ObjectId())
    with app.app_context():
        services.reserve_ticket(created["id"], order, 0)
        services.sell_ticket(created["id"], order, 1)
    response = client.put(f"/api/tickets/{created['id']}", json={"title": "Too late", "price": 5})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "Cannot edit a sold ticket"}]}
