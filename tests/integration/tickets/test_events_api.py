"""The events API: announcing and changing dated events, finding upcoming ones, and what their tickets cost."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from bson import ObjectId

from app.tickets import services
from tests.integration.tickets.support import list_for_event, schedule, starts_in, wait_until_started
from tests.servers import sign_in


@pytest.fixture
def organizer(client):
    """Sign the test client in; return the user's id."""
    return sign_in(client)


def _event(client, **fields):
    body = {"name": "Radiohead", "venue": "Madison Square Garden", "city": "New York",
            "startsAt": "2030-05-01T20:00:00-04:00"} | fields
    return client.post("/api/events", json={k: v for k, v in body.items() if v is not ...})


def _links(response):
    """Return {rel: query dict} of the response's Link header."""
    links = {}
    for part in filter(None, response.headers.get("Link", "").split(",")):
        url, rel = part.split(";")
        links[rel.strip().split("=")[1].strip('"')] = parse_qs(urlparse(url.strip()[1:-1]).query)
    return links


def test_create_returns_the_event_with_its_start_in_utc(client, organizer, db):
    response = _event(client, name="  Radiohead  ", startsAt="2030-05-01T20:00:00-04:00")
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "name": "Radiohead", "venue": "Madison Square Garden", "city": "New York",
                    "startsAt": "2030-05-02T00:00:00.000Z", "organizerId": organizer, "version": 0}
    stored = db.tickets_events.find_one({"_id": ObjectId(body["id"])})
    assert stored["utc_offset"] == -240 and stored["local_day"] == "2030-05-01"
    event = db.platform_outbox.find_one({"aggregate_id": body["id"]})
    assert event["type"] == "tickets.event_scheduled.v1" and event["version"] == 0
    assert event["payload"]["starts_at"] == "2030-05-02T00:00:00.000Z" and event["payload"]["utc_offset"] == -240


def test_create_signed_out_is_401_and_stores_nothing(client, db):
    response = _event(client)
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"message": "Not authorized"}]}
    assert db.tickets_events.count_documents({}) == 0


def test_create_needs_a_json_object(client, organizer):
    assert client.post("/api/events", data="name=x").status_code == 415
    assert client.post("/api/events", data="[1]", content_type="application/json").status_code == 400


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "Name is required"),
    ({"name": ...}, "name", "Name is required"),
    ({"name": 42}, "name", "Name is required"),
    ({"name": "x" * 201}, "name", "Name must be at most 200 characters"),
    ({"name": "Radio\ud800head"}, "name", "Name must be valid text"),
    ({"venue": "  "}, "venue", "Venue is required"),
    ({"venue": "v" * 201}, "venue", "Venue must be at most 200 characters"),
    ({"city": None}, "city", "City is required"),
    ({"city": "c" * 101}, "city", "City must be at most 100 characters"),
    ({"startsAt": ...}, "startsAt", "Start time is required"),
    ({"startsAt": "next friday"}, "startsAt",
     "Start time must be an ISO 8601 time with an offset, like 2030-05-01T20:00:00+02:00"),
    ({"startsAt": "2030-05-01T20:00:00"}, "startsAt",
     "Start time must be an ISO 8601 time with an offset, like 2030-05-01T20:00:00+02:00"),
    ({"startsAt": "2030-05-01"}, "startsAt",
     "Start time must be an ISO 8601 time with an offset, like 2030-05-01T20:00:00+02:00"),
    ({"startsAt": 1893456000}, "startsAt",
     "Start time must be an ISO 8601 time with an offset, like 2030-05-01T20:00:00+02:00"),
    ({"startsAt": "2020-05-01T20:00:00Z"}, "startsAt", "Start time must be in the future"),
    ({"startsAt": "2099-05-01T20:00:00Z"}, "startsAt", "Start time must be within 5 years"),
])
def test_create_refuses_a_bad_field_and_stores_nothing(client, organizer, db, fields, field, message):
    response = _event(client, **fields)
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": field}]}
    assert db.tickets_events.count_documents({}) == 0


def test_create_names_every_bad_field(client, organizer):
    response = client.post("/api/events", json={})
    assert response.status_code == 400
    assert {e["field"] for e in response.get_json()["errors"]} == {"name", "venue", "city", "startsAt"}


def test_update_changes_the_event_and_its_tickets_follow(app, client, organizer, db):
    created = _event(client).get_json()
    ticket_id = list_for_event(app, created["id"], title="Floor")
    response = client.put(f"/api/events/{created['id']}", json={
        "name": "Thom Yorke", "venue": "Beacon Theatre", "city": "New York", "startsAt": "2030-06-01T21:00:00Z"})
    assert response.status_code == 200
    assert response.get_json() == {"id": created["id"], "name": "Thom Yorke", "venue": "Beacon Theatre",
                                   "city": "New York", "startsAt": "2030-06-01T21:00:00.000Z",
                                   "organizerId": organizer, "version": 1}
    event = db.platform_outbox.find_one({"aggregate_id": created["id"], "version": 1})
    assert event["type"] == "tickets.event_updated.v1" and event["payload"]["name"] == "Thom Yorke"
    # The ticket is found by the event's new words, no longer by the old ones, and shows the new event.
    assert [t["id"] for t in client.get("/api/tickets?q=beacon").get_json()] == [ticket_id]
    assert client.get("/api/tickets?q=madison").get_json() == []
    assert client.get(f"/api/tickets/{ticket_id}").get_json()["event"]["startsAt"] == "2030-06-01T21:00:00.000Z"


def test_update_by_another_user_or_signed_out_is_401(app, client, organizer):
    created = _event(client).get_json()
    other = app.test_client()
    sign_in(other)
    for someone in (other, app.test_client()):
        response = someone.put(f"/api/events/{created['id']}", json={
            "name": "Mine", "venue": "V", "city": "C", "startsAt": "2030-05-01T20:00:00Z"})
        assert response.status_code == 401
    assert client.get(f"/api/events/{created['id']}").get_json()["name"] == "Radiohead"


@pytest.mark.parametrize("event_id", [str(ObjectId()), "nope"])
def test_update_unknown_event_is_404(client, organizer, event_id):
    response = client.put(f"/api/events/{event_id}", json={"name": "X", "venue": "V", "city": "C",
                                                           "startsAt": "2030-05-01T20:00:00Z"})
    assert response.status_code == 404
    assert response.get_json() == {"errors": [{"message": "Event not found"}]}


def test_update_with_a_bad_field_is_400_and_changes_nothing(client, organizer):
    created = _event(client).get_json()
    response = client.put(f"/api/events/{created['id']}", json={"name": "X", "venue": "V", "city": "C",
                                                                 "startsAt": "2020-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "Start time must be in the future", "field": "startsAt"}]}
    assert client.get(f"/api/events/{created['id']}").get_json()["version"] == 0


def test_an_event_that_started_cannot_be_changed(app, client, organizer):
    event_id = schedule(app, organizer, seconds=2)
    wait_until_started(client, event_id)
    response = client.put(f"/api/events/{event_id}", json={"name": "Encore", "venue": "V", "city": "C",
                                                           "startsAt": starts_in(days=1)})
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": "The event has already started"}]}


def test_show_returns_an_event_with_what_its_tickets_cost(app, client, organizer):
    event_id = _event(client).get_json()["id"]
    list_for_event(app, event_id, price=80)
    list_for_event(app, event_id, price=45.5)
    body = app.test_client().get(f"/api/events/{event_id}").get_json()
    assert body == {"id": event_id, "name": "Radiohead", "venue": "Madison Square Garden", "city": "New York",
                    "startsAt": "2030-05-02T00:00:00.000Z", "organizerId": organizer, "version": 0,
                    "ticketsAvailable": 2, "lowestPrice": 45.5, "currency": "USD"}


@pytest.mark.parametrize("event_id", [str(ObjectId()), "not-an-id", "123"])
def test_show_unknown_or_malformed_id_is_404(client, event_id):
    response = client.get(f"/api/events/{event_id}")
    assert response.status_code == 404
    assert response.get_json() == {"errors": [{"message": "Event not found"}]}


def test_the_summary_follows_every_change_of_the_events_tickets(app, client):
    event_id = schedule(app)

    def summary():
        body = client.get(f"/api/events/{event_id}").get_json()
        return body["ticketsAvailable"], body["lowestPrice"]

    assert summary() == (0, None)
    cheap = list_for_event(app, event_id, price=30)
    dear = list_for_event(app, event_id, price=90)
    assert summary() == (2, 30)
    order, paid = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(cheap, order, 0)
    assert summary() == (1, 90)
    with app.app_context():
        services.release_ticket(cheap, order, 1)
    assert summary() == (2, 30)
    with app.app_context():
        services.update_ticket(dear, client.get(f"/api/tickets/{dear}").get_json()["userId"], "Seat", 12.5)
    assert summary() == (2, 12.5)
    with app.app_context():
        services.reserve_ticket(dear, paid, 0)
        services.sell_ticket(dear, paid, 1)
    assert summary() == (1, 30)


def test_list_shows_upcoming_events_soonest_first(app, client):
    later = schedule(app, name="Later", days=9)
    sooner = schedule(app, name="Sooner", days=2)
    list_for_event(app, sooner, price=25)
    response = client.get("/api/events")
    assert response.status_code == 200
    body = response.get_json()
    assert [e["id"] for e in body] == [sooner, later]
    assert body[0]["ticketsAvailable"] == 1 and body[0]["lowestPrice"] == 25 and body[0]["currency"] == "USD"
    assert body[1]["ticketsAvailable"] == 0 and body[1]["lowestPrice"] is None
    assert set(body[0]) == {"id", "name", "venue", "city", "startsAt", "organizerId", "version", "ticketsAvailable",
                            "lowestPrice", "currency"}
    assert response.headers["X-Total-Count"] == "2" and "Link" not in response.headers


def test_list_matches_every_word_against_name_venue_and_city(app, client):
    radiohead = schedule(app, name="Radiohead", venue="Madison Square Garden", city="New York")
    beyonce = schedule(app, name="Beyoncé — Renaissance", venue="Stade de France", city="Saint-Denis", days=8)
    schedule(app, name="Madness", venue="O2 Arena", city="London", days=9)

    def found(q):
        return [e["id"] for e in client.get("/api/events", query_string={"q": q}).get_json()]

    assert found("RADIOHEAD") == [radiohead]
    assert found("madison garden") == [radiohead]  # every word must match
    assert found("mad york") == [radiohead]  # a word matches the start of a word
    assert found("beyonce") == [beyonce] and found("Saint Denis") == [beyonce]  # accents and punctuation aside
    assert found("radiohead london") == []
    assert found("adiohead") == []  # the start of a word, not anywhere in it


def test_list_filters_by_city_ignoring_case(app, client):
    paris = schedule(app, city="Paris")
    schedule(app, city="Parisville", days=8)
    assert [e["id"] for e in client.get("/api/events?city=PARIS").get_json()] == [paris]


def test_list_filters_by_start_time(app, client):
    now = datetime.now(UTC)
    schedule(app, name="Soon", days=1)
    middle = schedule(app, name="Middle", days=5)
    schedule(app, name="Far", days=20)
    window = {"from": (now + timedelta(days=3)).isoformat(), "to": (now + timedelta(days=10)).isoformat()}
    assert [e["id"] for e in client.get("/api/events", query_string=window).get_json()] == [middle]
    assert len(client.get("/api/events", query_string={"from": window["from"]}).get_json()) == 2
    assert len(client.get("/api/events", query_string={"to": window["to"]}).get_json()) == 2


def test_list_is_paged_with_total_and_link_headers(app, client):
    ids = [schedule(app, name=f"Gig {n}", days=1 + n) for n in range(5)]
    first = client.get("/api/events?perPage=2")
    assert [e["id"] for e in first.get_json()] == ids[:2]
    assert first.headers["X-Total-Count"] == "5"
    assert _links(first) == {"next": {"page": ["2"], "perPage": ["2"]}}
    assert first.headers["Link"].startswith('<http://localhost/api/events?')
    middle = client.get("/api/events?perPage=2&page=2&q=gig")
    assert [e["id"] for e in middle.get_json()] == ids[2:4]
    assert _links(middle) == {"prev": {"q": ["gig"], "page": ["1"], "perPage": ["2"]},
                              "next": {"q": ["gig"], "page": ["3"], "perPage": ["2"]}}
    last = client.get("/api/events?perPage=2&page=3")
    assert [e["id"] for e in last.get_json()] == ids[4:] and set(_links(last)) == {"prev"}
    beyond = client.get("/api/events?perPage=2&page=9")
    assert beyond.get_json() == [] and _links(beyond) == {"prev": {"page": ["3"], "perPage": ["2"]}}


def test_list_pages_have_twenty_events_unless_asked(app, client):
    for n in range(21):
        schedule(app, name=f"Gig {n}", hours=1 + n)
    assert len(client.get("/api/events").get_json()) == 20
    assert len(client.get("/api/events?perPage=100").get_json()) == 21
    assert len(client.get("/api/events?perPage=1").get_json()) == 1


@pytest.mark.parametrize("query, field, message", [
    ("page=0", "page", "page must be a whole number from 1"),
    ("page=abc", "page", "page must be a whole number from 1"),
    ("page=-1", "page", "page must be a whole number from 1"),
    ("perPage=0", "perPage", "perPage must be a whole number from 1 to 100"),
    ("perPage=101", "perPage", "perPage must be a whole number from 1 to 100"),
    ("from=soon", "from", "from must be an ISO 8601 time, like 2030-05-01T20:00:00+02:00"),
    ("to=2030-13-01", "to", "to must be an ISO 8601 time, like 2030-05-01T20:00:00+02:00"),
    ("from=2030-05-02&to=2030-05-01", "to", "to must not be before from"),
    ("q=" + "x" * 201, "q", "q must be at most 200 characters"),
    ("city=" + "x" * 201, "city", "city must be at most 200 characters"),
])
def test_list_refuses_a_bad_parameter(client, query, field, message):
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"message": message, "field": field}]}
