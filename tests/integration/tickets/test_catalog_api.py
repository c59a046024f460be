"""The tickets API with events: a ticket for an event, finding tickets, and the time rule (an event that started sells
nothing). The original clients' {title, price} tickets keep working unchanged."""

from urllib.parse import parse_qs, urlparse

import pytest
from bson import ObjectId

from app.tickets import services
from tests.integration.tickets.support import list_for_event, schedule, wait_until_started
from tests.servers import sign_in


@pytest.fixture
def seller(client):
    """Sign the test client in as a seller; return the seller's id."""
    return sign_in(client)


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()]


def test_a_ticket_for_an_event_shows_its_event(app, client, seller, db):
    event_id = schedule(app, name="Radiohead", venue="Madison Square Garden", city="New York")
    response = client.post("/api/tickets", json={"title": "Floor", "price": 185, "eventId": event_id})
    assert response.status_code == 201
    body = response.get_json()
    event = client.get(f"/api/events/{event_id}").get_json()
    assert body == {"id": body["id"], "title": "Floor", "price": 185, "currency": "USD", "status": "available",
                    "userId": seller, "orderId": None, "version": 0, "eventId": event_id,
                    "event": {"id": event_id, "name": "Radiohead", "venue": "Madison Square Garden",
                              "city": "New York", "startsAt": event["startsAt"]}}
    assert client.get(f"/api/tickets/{body['id']}").get_json() == body
    payload = db.platform_outbox.find_one({"aggregate_id": body["id"]})["payload"]
    assert (payload["event_id"], payload["starts_at"]) == (event_id, event["startsAt"])


def test_the_original_title_and_price_ticket_still_works(app, client, seller, db):
    response = client.post("/api/tickets", json={"title": "Concert", "price": 20.5})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["eventId"], body["event"]) == (None, None)
    listed = client.get("/api/tickets")
    assert listed.status_code == 200 and isinstance(listed.get_json(), list)
    assert listed.get_json() == [body]
    edited = client.put(f"/api/tickets/{body['id']}", json={"title": "Concert in the park", "price": 25})
    assert edited.status_code == 200 and edited.get_json()["title"] == "Concert in the park"
    assert _ids(client.get("/api/tickets?q=park")) == [body["id"]]  # found by its new title
    payload = db.platform_outbox.find_one({"aggregate_id": body["id"], "version": 0})["payload"]
    assert (payload["event_id"], payload["starts_at"]) == (None, None)


@pytest.mark.parametrize("event_id, message", [
    (str(ObjectId()), "Event not found"),
    ("not-an-id", "Event not found"),
    (42, "Event not found"),
    (["x"], "Event not found"),
])
def test_a_ticket_for_an_unknown_event_is_refused(client, seller, db, event_id, message):
    response = client.post("/api/tickets", json={"title": "Seat", "price": 10, "eventId": event_id})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": "eventId"}]}
    assert db.tickets_tickets.count_documents({}) == 0


def test_a_ticket_for_an_event_that_started_is_refused(app, client, seller, db):
    event_id = schedule(app, seconds=2)
    wait_until_started(client, event_id)
    response = client.post("/api/tickets", json={"title": "Seat", "price": 10, "eventId": event_id})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "The event has already started", "field": "eventId"}]}
    assert db.tickets_tickets.count_documents({}) == 0


def test_every_bad_field_is_named_with_the_event(client, seller):
    response = client.post("/api/tickets", json={"title": "", "price": 10, "eventId": str(ObjectId())})
    assert response.status_code == 400
    assert {(e["field"], e["message"]) for e in response.get_json()["errors"]} == {
        ("title", "Title is required"), ("eventId", "Event not found")}


def test_list_filters_by_event(app, client):
    radiohead, other = schedule(app), schedule(app, name="Other", days=3)
    mine = [list_for_event(app, radiohead, price=p) for p in (30, 10)]
    list_for_event(app, other)
    with app.app_context():
        services.create_ticket(str(ObjectId()), "No event", 5)
    response = client.get(f"/api/tickets?eventId={radiohead}")
    assert _ids(response) == mine[::-1]  # newest first
    assert response.headers["X-Total-Count"] == "2"
    assert all(t["event"]["id"] == radiohead for t in response.get_json())
    assert _ids(client.get(f"/api/tickets?eventId={radiohead}&sort=price")) == mine[::-1]
    assert _ids(client.get(f"/api/tickets?eventId={radiohead}&sort=-price")) == mine
    assert _ids(client.get(f"/api/tickets?eventId={radiohead}&minPrice=20")) == mine[:1]
    assert _ids(client.get(f"/api/tickets?eventId={str(ObjectId())}")) == []


def test_list_finds_tickets_by_their_title_and_event_words(app, client):
    event_id = schedule(app, name="Radiohead", venue="Madison Square Garden", city="New York")
    floor = list_for_event(app, event_id, title="Floor standing")
    balcony = list_for_event(app, event_id, title="Balcony")
    with app.app_context():
        loose = str(services.create_ticket(str(ObjectId()), "Floor seat at the Jazz club", 40).id)
    assert set(_ids(client.get("/api/tickets?q=radiohead"))) == {floor, balcony}
    assert set(_ids(client.get("/api/tickets?q=FLOOR"))) == {floor, loose}
    assert _ids(client.get("/api/tickets?q=floor madison")) == [floor]
    assert _ids(client.get("/api/tickets?q=jaz")) == [loose]


def test_list_filters_by_price_in_major_units(app, client):
    with app.app_context():
        ids = {price: str(services.create_ticket(str(ObjectId()), "Gig", price).id) for price in (9.99, 10, 25.5, 40)}
    assert set(_ids(client.get("/api/tickets?minPrice=10&maxPrice=25.5"))) == {ids[10], ids[25.5]}
    assert set(_ids(client.get("/api/tickets?minPrice=10.001"))) == {ids[25.5], ids[40]}
    assert set(_ids(client.get("/api/tickets?maxPrice=9.99"))) == {ids[9.99]}


def test_list_sorts_by_price_and_by_event_date(app, client):
    soon, later = schedule(app, days=2), schedule(app, days=9)
    late_cheap = list_for_event(app, later, price=10)
    soon_dear = list_for_event(app, soon, price=50)
    with app.app_context():
        no_event = str(services.create_ticket(str(ObjectId()), "Whenever", 30).id)
    assert _ids(client.get("/api/tickets?sort=price")) == [late_cheap, no_event, soon_dear]
    assert _ids(client.get("/api/tickets?sort=-price")) == [soon_dear, no_event, late_cheap]
    assert _ids(client.get("/api/tickets?sort=date")) == [soon_dear, late_cheap, no_event]  # no date: last
    assert _ids(client.get("/api/tickets?sort=-created")) == [no_event, soon_dear, late_cheap]
    assert _ids(client.get("/api/tickets")) == [no_event, soon_dear, late_cheap]


def test_list_is_paged_with_total_and_link_headers(app, client):
    with app.app_context():
        ids = [str(services.create_ticket(str(ObjectId()), f"Gig {n}", 10 + n).id) for n in range(5)]
    first = client.get("/api/tickets?sort=price&perPage=2")
    assert _ids(first) == ids[:2] and first.headers["X-Total-Count"] == "5"
    links = {part.split(";")[1].strip(): parse_qs(urlparse(part.split(";")[0].strip()[1:-1]).query)
             for part in first.headers["Link"].split(",")}
    assert links == {'rel="next"': {"sort": ["price"], "page": ["2"], "perPage": ["2"]}}
    second = client.get("/api/tickets?sort=price&perPage=2&page=2")
    assert _ids(second) == ids[2:4]
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' in second.headers["Link"]


def test_list_pages_have_a_hundred_tickets_unless_asked(app, client):
    with app.app_context():
        for n in range(101):
            services.create_ticket(str(ObjectId()), f"Gig {n}", 10)
    response = client.get("/api/tickets")
    assert len(response.get_json()) == 100 and response.headers["X-Total-Count"] == "101"
    assert len(client.get("/api/tickets?page=2").get_json()) == 1
    assert len(client.get("/api/tickets?perPage=7").get_json()) == 7


@pytest.mark.parametrize("query, field, message", [
    ("eventId=nope", "eventId", "eventId must be a valid id"),
    ("sort=title", "sort", "sort must be one of -created, price, -price, date"),
    ("minPrice=cheap", "minPrice", "minPrice must be a price from 0 to 1,000,000"),
    ("maxPrice=-1", "maxPrice", "maxPrice must be a price from 0 to 1,000,000"),
    ("maxPrice=NaN", "maxPrice", "maxPrice must be a price from 0 to 1,000,000"),
    ("minPrice=20&maxPrice=10", "maxPrice", "maxPrice must not be below minPrice"),
    ("page=0", "page", "page must be a whole number from 1"),
    ("perPage=101", "perPage", "perPage must be a whole number from 1 to 100"),
    ("perPage=1e2", "perPage", "perPage must be a whole number from 1 to 100"),
])
def test_list_refuses_a_bad_parameter(client, query, field, message):
    response = client.get(f"/api/tickets?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": field}]}


def test_an_event_that_starts_takes_its_tickets_off_sale(app, client):
    """The time rule: listed while the event is ahead; gone from every listing once it starts."""
    event_id = schedule(app, seconds=6)
    ticket_id = list_for_event(app, event_id, title="Last minute")
    with app.app_context():
        services.create_ticket(str(ObjectId()), "Any day", 10)
    assert ticket_id in _ids(client.get("/api/tickets"))
    assert _ids(client.get(f"/api/tickets?eventId={event_id}")) == [ticket_id]
    assert event_id in [e["id"] for e in client.get("/api/events").get_json()]

    wait_until_started(client, event_id)

    assert ticket_id not in _ids(client.get("/api/tickets"))
    assert len(client.get("/api/tickets").get_json()) == 1  # the ticket without an event stays
    for query in (f"eventId={event_id}", "q=last", "sort=date", "sort=price"):
        assert ticket_id not in _ids(client.get(f"/api/tickets?{query}")), query
    assert client.get("/api/events").get_json() == []
    # The event and the ticket themselves are still there to look at, with nothing left for sale.
    event = client.get(f"/api/events/{event_id}").get_json()
    assert (event["ticketsAvailable"], event["lowestPrice"]) == (0, None)
    assert client.get(f"/api/tickets/{ticket_id}").get_json()["status"] == "available"


def test_the_original_clients_list_is_still_a_plain_array_of_available_tickets(app, client):
    assert client.get("/api/tickets").get_json() == []
    assert client.get("/api/tickets").headers["X-Total-Count"] == "0"
