"""The tickets pages: home, a ticket's page, the sell form and the edit form."""

import re

from bson import ObjectId

from app.tickets import services
from tests.integration.tickets.support import csrf_token
from tests.servers import sign_in


def _list(app, seller, title, price=20.5):
    with app.app_context():
        return str(services.create_ticket(seller, title, price).id)


def test_tickets_page_lists_available_tickets_newest_first_with_currency_symbol(app, client):
    seller = str(ObjectId())
    _list(app, seller, "Older gig", 20.5)
    _list(app, seller, "Newer gig", 1500)
    held = _list(app, seller, "Held gig", 3)
    with app.app_context():
        services.reserve_ticket(held, str(ObjectId()))
    page = client.get("/tickets").get_data(as_text=True)
    assert page.index("Newer gig") < page.index("Older gig")
    assert "$20.50" in page and "$1,500.00" in page
    assert "Held gig" not in page


def test_tickets_page_shows_euros_and_pounds(app, client):
    app.config["CURRENCY"] = "EUR"
    _list(app, str(ObjectId()), "Berlin", 12)
    app.config["CURRENCY"] = "GBP"
    _list(app, str(ObjectId()), "London", 7.5)
    page = client.get("/tickets").get_data(as_text=True)
    assert "€12.00" in page and "£7.50" in page


def test_tickets_page_is_paginated(app, client):
    seller = str(ObjectId())
    for n in range(23):
        _list(app, seller, f"Gig number {n:02d}")
    first = client.get("/tickets").get_data(as_text=True)
    second = client.get("/tickets?page=2").get_data(as_text=True)
    assert "Gig number 22" in first and "Gig number 03" in first and "Gig number 02" not in first
    assert 'href="/tickets?page=2"' in first
    assert list(dict.fromkeys(re.findall(r"Gig number \d\d", second))) == ["Gig number 02", "Gig number 01",
                                                                           "Gig number 00"]
    assert client.get("/tickets?page=0").status_code == 200
    assert client.get("/tickets?page=abc").status_code == 200


def test_ticket_page_offers_purchase_to_other_users(app, client):
    ticket_id = _list(app, str(ObjectId()), "Opera", 45)
    sign_in(client)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Opera" in page and "$45.00" in page and "Available" in page
    assert 'action="/orders"' in page and f'name="ticket_id" value="{ticket_id}"' in page
    assert "Purchase" in page and "Edit" not in page


def test_ticket_page_asks_visitors_to_sign_in_to_purchase(app, client):
    ticket_id = _list(app, str(ObjectId()), "Opera", 45)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Sign in to purchase" in page and 'action="/orders"' not in page


def test_ticket_page_offers_edit_to_the_seller(app, client):
    seller = sign_in(client)
    ticket_id = _list(app, seller, "Opera", 45)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'href="/tickets/{ticket_id}/edit"' in page and 'action="/orders"' not in page


def test_reserved_ticket_page_shows_status_without_purchase(app, client):
    ticket_id = _list(app, str(ObjectId()), "Opera", 45)
    with app.app_context():
        services.reserve_ticket(ticket_id, str(ObjectId()))
    sign_in(client)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Reserved" in page and 'action="/orders"' not in page


def test_ticket_page_for_unknown_or_malformed_id_is_404(client):
    assert client.get(f"/tickets/{ObjectId()}").status_code == 404
    assert client.get("/tickets/garbage").status_code == 404


def test_sell_form_lists_a_ticket(client, db):
    seller = sign_in(client)
    token = csrf_token(client, "/tickets/new")
    response = client.post("/tickets/new", data={"csrf_token": token, "title": " Jazz night ", "price": "12.5"})
    assert response.status_code == 302
    stored = db.tickets_tickets.find_one({"user_id": seller})
    assert (stored["title"], stored["price"]) == ("Jazz night", 1250)
    assert response.headers["Location"] == f"/tickets/{stored['_id']}"
    assert "Your ticket is for sale." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_sell_form_shows_each_error_and_keeps_the_input(client, db):
    sign_in(client)
    token = csrf_token(client, "/tickets/new")
    response = client.post("/tickets/new", data={"csrf_token": token, "title": "Jazz", "price": "1.234"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Price must have at most 2 decimal places" in page and 'value="Jazz"' in page
    assert db.tickets_tickets.count_documents({}) == 0


def test_sell_form_refuses_a_post_without_csrf_token(client, db):
    sign_in(client)
    assert client.post("/tickets/new", data={"title": "Jazz", "price": "5"}).status_code == 400
    assert db.tickets_tickets.count_documents({}) == 0


def test_sell_form_sends_visitors_to_sign_in(client):
    response = client.get("/tickets/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/signin?next=")


def test_edit_form_saves_changes(app, client, db):
    seller = sign_in(client)
    ticket_id = _list(app, seller, "Opera", 45)
    page = client.get(f"/tickets/{ticket_id}/edit").get_data(as_text=True)
    assert 'value="Opera"' in page and 'value="45.00"' in page
    token = csrf_token(client, f"/tickets/{ticket_id}/edit")
    response = client.post(f"/tickets/{ticket_id}/edit", data={"csrf_token": token, "title": "Ballet", "price": "50"})
    assert response.status_code == 302
    stored = db.tickets_tickets.find_one({"_id": ObjectId(ticket_id)})
    assert (stored["title"], stored["price"], stored["version"]) == ("Ballet", 5000, 1)


def test_edit_form_of_a_reserved_ticket_shows_the_refusal(app, client, db):
    seller = sign_in(client)
    ticket_id = _list(app, seller, "Opera", 45)
    token = csrf_token(client, f"/tickets/{ticket_id}/edit")
    with app.app_context():
        services.reserve_ticket(ticket_id, str(ObjectId()))
    page = client.get(f"/tickets/{ticket_id}/edit").get_data(as_text=True)
    assert "Cannot edit a reserved ticket" in page and 'name="title"' not in page
    response = client.post(f"/tickets/{ticket_id}/edit", data={"csrf_token": token, "title": "Ballet", "price": "50"})
    assert response.status_code == 400
    assert "Cannot edit a reserved ticket" in response.get_data(as_text=True)
    assert db.tickets_tickets.find_one({"_id": ObjectId(ticket_id)})["title"] == "Opera"


def test_edit_form_is_refused_to_other_users(app, client):
    ticket_id = _list(app, str(ObjectId()), "Opera", 45)
    sign_in(client)
    assert client.get(f"/tickets/{ticket_id}/edit").status_code == 401
