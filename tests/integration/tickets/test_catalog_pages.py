"""The catalogue's pages: upcoming events on the home page with search and filters, an event's page, the sell form's
event choice (or a new event), and the event on a ticket's page. Server-rendered, usable without JavaScript."""

import re

import pytest
from bson import ObjectId

from app.tickets import services, shows
from tests.integration.tickets.support import csrf_token, list_for_event, schedule, wait_until_started
from tests.servers import sign_in


def _event_at(app, starts_at, name="Radiohead", venue="Madison Square Garden", city="New York"):
    with app.app_context():
        return str(shows.create_event(str(ObjectId()), name, venue, city, starts_at).id)


def _text(response, status=200):
    assert response.status_code == status, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_home_shows_upcoming_events_as_cards(app, client):
    radiohead = _event_at(app, "2030-05-01T20:00:00-04:00")
    list_for_event(app, radiohead, price=185)
    list_for_event(app, radiohead, price=45.5)
    _event_at(app, "2030-04-20T19:30:00+01:00", name="Hamilton", venue="Victoria Palace", city="London")
    page = client.get("/").get_data(as_text=True)
    text = _text(client.get("/"))
    assert text.index("Hamilton") < text.index("Radiohead")  # soonest first
    # Date and time on the venue's clock, in words; venue and city; the lowest price; how many tickets.
    assert "Wed 1 May 2030, 8:00 pm" in text and "Sat 20 Apr 2030, 7:30 pm" in text
    assert "Madison Square Garden · New York" in text
    assert "from $45.50" in text and "2 tickets" in text
    assert "No tickets yet" in text  # Hamilton
    assert f'href="/events/{radiohead}"' in page
    assert 'datetime="2030-05-02T00:00:00Z"' in page
    assert "2 upcoming events" in text


def test_home_leaves_out_an_event_that_started(app, client):
    started = schedule(app, name="Matinee", seconds=2)
    schedule(app, name="Evening show")
    wait_until_started(client, started)
    text = _text(client.get("/"))
    assert "Evening show" in text and "Matinee" not in text


def test_home_search_and_filters_work_without_javascript(app, client):
    _event_at(app, "2030-05-01T20:00:00-04:00", name="Radiohead", city="New York")
    _event_at(app, "2030-05-03T20:00:00+02:00", name="Radiohead", venue="Waldbühne", city="Berlin")
    _event_at(app, "2030-05-10T20:00:00+02:00", name="Mahler 5", venue="Philharmonie", city="Berlin")
    page = client.get("/").get_data(as_text=True)
    assert '<form class="search panel" method="get" action="/"' in page
    for name in ('name="q"', 'name="city"', 'name="from"', 'name="to"'):
        assert name in page

    def names(**args):
        return re.findall(r'<h2><a href="/events/[0-9a-f]+">([^<]+)</a>', client.get("/", query_string=args)
                          .get_data(as_text=True))

    assert names(q="radio") == ["Radiohead", "Radiohead"]
    assert names(q="radiohead", city="berlin") == ["Radiohead"]
    assert names(city="Berlin") == ["Radiohead", "Mahler 5"]
    # Dates are days on the venue's clock: 20:00 in New York on 1 May is 2 May in UTC, still 1 May here.
    assert names(to="2030-05-01") == ["Radiohead"]
    assert names(**{"from": "2030-05-02", "to": "2030-05-09"}) == ["Radiohead"]
    assert "1 event found" in _text(client.get("/?from=2030-05-04"))
    assert "No upcoming event matches your search." in _text(client.get("/?q=nothing"))
    filled = client.get("/?q=radio&city=Berlin").get_data(as_text=True)
    assert 'value="radio"' in filled and 'value="Berlin"' in filled  # the form keeps what was asked


def test_home_names_a_bad_filter_instead_of_failing(app, client):
    response = client.get("/?page=abc&q=" + "x" * 300)
    assert response.status_code == 200
    assert "must be" in _text(response)


def test_home_is_paginated(app, client):
    for n in range(21):
        schedule(app, name=f"Gig number {n:02d}", hours=n + 1)
    first, second = client.get("/").get_data(as_text=True), client.get("/?page=2").get_data(as_text=True)
    assert "Gig number 19" in first and "Gig number 20" not in first
    assert 'href="/?page=2"' in first and "Page 1 of 2" in _text(client.get("/"))
    assert "Gig number 20" in second and 'href="/?page=1"' in second
    assert 'href="/?q=gig&amp;page=2"' in client.get("/?q=gig").get_data(as_text=True)


def test_event_page_lists_its_tickets_by_price_and_offers_to_sell_one(app, client):
    event_id = _event_at(app, "2030-05-01T20:00:00-04:00")
    list_for_event(app, event_id, title="Floor", price=185)
    list_for_event(app, event_id, title="Balcony", price=45.5)
    held = list_for_event(app, event_id, title="Held", price=10)
    with app.app_context():
        services.reserve_ticket(held, str(ObjectId()))
    text = _text(client.get(f"/events/{event_id}"))
    assert "Radiohead" in text and "Wednesday 1 May 2030, 8:00 pm" in text
    assert "Madison Square Garden · New York" in text
    assert text.index("Balcony") < text.index("Floor") and "Held" not in text
    assert "2 tickets for sale" in text
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/tickets/new?eventId={event_id}"' in page and "Sell a ticket for this event" in page


def test_event_page_of_an_event_that_started_sells_nothing(app, client):
    event_id = schedule(app, seconds=2)
    list_for_event(app, event_id, title="Floor")
    wait_until_started(client, event_id)
    text = _text(client.get(f"/events/{event_id}"))
    assert "This event has started" in text and "Floor" not in text and "Sell a ticket" not in text


@pytest.mark.parametrize("event_id", [str(ObjectId()), "nope"])
def test_event_page_of_an_unknown_event_is_404(client, event_id):
    assert client.get(f"/events/{event_id}").status_code == 404


def test_sell_form_offers_upcoming_events_and_lists_a_ticket_for_one(app, client, db):
    event_id = _event_at(app, "2030-05-01T20:00:00-04:00")
    other = _event_at(app, "2030-06-01T20:00:00+02:00", name="Mahler 5", venue="Philharmonie", city="Berlin")
    seller = sign_in(client)
    page = client.get(f"/tickets/new?eventId={event_id}").get_data(as_text=True)
    label = "Radiohead — Madison Square Garden, New York · Wed 1 May 2030, 8:00 pm"
    assert f'<option selected value="{event_id}">{label}' in page
    assert f'value="{other}"' in page and 'value="new"' in page
    # Finding an event narrows the list (a plain GET form).
    found = client.get("/tickets/new?find=berlin").get_data(as_text=True)
    assert f'value="{other}"' in found and f'value="{event_id}"' not in found
    response = client.post("/tickets/new", data={"csrf_token": csrf_token(client, "/tickets/new"),
                                                 "event": event_id, "title": "Floor", "price": "185"})
    assert response.status_code == 302
    ticket = db.tickets_tickets.find_one({"title": "Floor"})
    assert (ticket["event_id"], ticket["user_id"]) == (event_id, seller)
    text = _text(client.get(response.headers["Location"]))
    assert "Radiohead" in text and "Wednesday 1 May 2030, 8:00 pm" in text and "Madison Square Garden, New York" in text


def test_sell_form_creates_a_new_event_with_the_ticket(app, client, db):
    sign_in(client)
    response = client.post("/tickets/new", data={
        "csrf_token": csrf_token(client, "/tickets/new"), "event": "new", "title": "Front row", "price": "60",
        "event_name": "Nick Cave", "event_venue": "Royal Albert Hall", "event_city": "London",
        "event_starts": "2030-07-01T19:30", "event_zone": "Europe/London"})
    assert response.status_code == 302
    event = db.tickets_events.find_one({"name": "Nick Cave"})
    assert event["starts_at"].isoformat() == "2030-07-01T18:30:00+00:00" and event["utc_offset"] == 60
    assert db.tickets_tickets.find_one({"title": "Front row"})["event_id"] == str(event["_id"])


def test_sell_form_shows_every_error_of_a_new_event_and_stores_nothing(app, client, db):
    sign_in(client)
    response = client.post("/tickets/new", data={
        "csrf_token": csrf_token(client, "/tickets/new"), "event": "new", "title": "", "price": "60",
        "event_name": "", "event_venue": "Royal Albert Hall", "event_city": "London",
        "event_starts": "2020-07-01T19:30", "event_zone": "Europe/London"})
    text = _text(response, 400)
    assert "Title is required" in text and "Name is required" in text and "Start time must be in the future" in text
    assert 'value="Royal Albert Hall"' in response.get_data(as_text=True)  # what was typed stays
    assert db.tickets_events.count_documents({}) == 0 and db.tickets_tickets.count_documents({}) == 0


def test_sell_form_refuses_an_event_that_started(app, client, db):
    event_id = schedule(app, seconds=2)
    sign_in(client)
    token = csrf_token(client, "/tickets/new")
    wait_until_started(client, event_id)
    response = client.post("/tickets/new", data={"csrf_token": token, "event": event_id, "title": "Late",
                                                 "price": "5"})
    assert "The event has already started" in _text(response, 400)
    assert db.tickets_tickets.count_documents({}) == 0


def test_sell_form_still_sells_a_ticket_without_an_event(app, client, db):
    sign_in(client)
    response = client.post("/tickets/new", data={"csrf_token": csrf_token(client, "/tickets/new"), "event": "",
                                                 "title": "Mystery gig", "price": "12"})
    assert response.status_code == 302
    assert db.tickets_tickets.find_one({"title": "Mystery gig"})["event_id"] is None


def test_ticket_page_of_an_event_that_started_offers_no_purchase(app, client):
    event_id = schedule(app, seconds=2)
    ticket_id = list_for_event(app, event_id, title="Floor")
    sign_in(client)
    assert "Purchase" in _text(client.get(f"/tickets/{ticket_id}"))
    wait_until_started(client, event_id)
    text = _text(client.get(f"/tickets/{ticket_id}"))
    assert "This event has started" in text and "Purchase" not in text
