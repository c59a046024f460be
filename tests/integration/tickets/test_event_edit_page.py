"""The organiser's edit page of an event (/events/<id>/edit): prefilled on the venue's clock, saved through the same
service as PUT /api/events/:id, refused to anyone else and once the event has started."""

import re

from bson import ObjectId

from app.tickets import shows
from tests.integration.tickets.support import csrf_token, list_for_event, schedule, wait_until_started
from tests.servers import sign_in


def _text(response, status=200):
    assert response.status_code == status, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _organised(app, organizer_id, starts_at="2030-05-01T20:00:00-04:00"):
    with app.app_context():
        return str(shows.create_event(organizer_id, "Radiohead", "Madison Square Garden", "New York", starts_at).id)


def _stored(db, event_id):
    return db.tickets_events.find_one({"_id": ObjectId(event_id)})


def test_organiser_edits_the_event_and_its_page_and_tickets_show_the_new_date_and_venue(app, client, db):
    organiser = sign_in(client)
    event_id = _organised(app, organiser)
    ticket_id = list_for_event(app, event_id, title="Floor", price=185)
    event_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/events/{event_id}/edit"' in event_page and "Edit event" in event_page

    form = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    # Prefilled, the start on the event's own clock (20:00 at UTC-04:00), that clock chosen as the zone.
    assert 'value="Radiohead"' in form and 'value="Madison Square Garden"' in form and 'value="New York"' in form
    assert 'value="2030-05-01T20:00"' in form
    assert '<option selected value="UTC-04:00">' in form and 'value="Europe/London"' in form

    response = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": csrf_token(client, f"/events/{event_id}/edit"), "name": "Radiohead", "venue": "O2 Arena",
        "city": "London", "starts": "2030-06-02T21:30", "zone": "Europe/London"})

    assert response.status_code == 302 and response.headers["Location"] == f"/events/{event_id}"
    text = _text(client.get(response.headers["Location"]))
    assert "Your event was updated." in text
    assert "Sunday 2 June 2030, 9:30 pm" in text and "O2 Arena · London" in text
    assert "Madison Square Garden" not in text and "Floor" in text
    ticket = _text(client.get(f"/tickets/{ticket_id}"))
    assert "Sunday 2 June 2030, 9:30 pm" in ticket and "O2 Arena, London" in ticket
    stored = _stored(db, event_id)
    assert stored["starts_at"].isoformat() == "2030-06-02T20:30:00+00:00" and stored["utc_offset"] == 60
    assert stored["version"] == 1
    # The API's answer agrees with the page: the listing finds the event under its new city.
    assert [e["id"] for e in client.get("/api/events?city=london").get_json()] == [event_id]


def test_saving_on_the_events_own_clock_keeps_its_offset(app, client, db):
    organiser = sign_in(client)
    event_id = _organised(app, organiser)
    response = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": csrf_token(client, f"/events/{event_id}/edit"), "name": "Radiohead", "venue": "MSG",
        "city": "New York", "starts": "2030-05-01T21:00", "zone": "UTC-04:00"})
    assert response.status_code == 302
    stored = _stored(db, event_id)
    assert stored["starts_at"].isoformat() == "2030-05-02T01:00:00+00:00" and stored["utc_offset"] == -240


def test_the_edit_page_is_not_found_for_anyone_but_the_organiser(app, client, db):
    event_id = _organised(app, str(ObjectId()))
    sign_in(client)
    token = csrf_token(client, "/tickets/new")  # a token of this session, from a form it may use
    assert client.get(f"/events/{event_id}/edit").status_code == 404
    response = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": token, "name": "Mine now", "venue": "Here", "city": "There", "starts": "2030-06-02T21:30",
        "zone": "UTC"})
    assert response.status_code == 404
    assert _stored(db, event_id)["name"] == "Radiohead" and _stored(db, event_id)["version"] == 0
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "/edit" not in page and "Edit event" not in page
    visitor = app.test_client()
    assert "Edit event" not in visitor.get(f"/events/{event_id}").get_data(as_text=True)
    signin = visitor.get(f"/events/{event_id}/edit")
    assert signin.status_code == 302 and signin.headers["Location"].startswith("/auth/signin?next=")


def test_an_event_that_started_is_refused(app, client, db):
    organiser = sign_in(client)
    event_id = schedule(app, organizer_id=organiser, seconds=2)
    token = csrf_token(client, f"/events/{event_id}/edit")
    wait_until_started(client, event_id)

    page = _text(client.get(f"/events/{event_id}/edit"))
    assert "The event has already started" in page and 'name="venue"' not in client.get(
        f"/events/{event_id}/edit").get_data(as_text=True)
    response = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": token, "name": "Radiohead", "venue": "Elsewhere", "city": "New York",
        "starts": "2030-06-02T21:30", "zone": "UTC"})
    assert "The event has already started" in _text(response, 400)
    assert _stored(db, event_id)["venue"] == "Madison Square Garden" and _stored(db, event_id)["version"] == 0
    assert "Edit event" not in client.get(f"/events/{event_id}").get_data(as_text=True)


def test_bad_fields_are_shown_beside_them_and_change_nothing(app, client, db):
    organiser = sign_in(client)
    event_id = _organised(app, organiser)
    token = csrf_token(client, f"/events/{event_id}/edit")
    response = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": token, "name": "  ", "venue": "V" * 201, "city": "London", "starts": "2020-06-02T21:30",
        "zone": "Europe/London"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="name-error">Name is required<', page)
    assert re.search(r'id="venue-error">Venue must be at most 200 characters<', page)
    assert re.search(r'id="starts-error">Start time must be in the future<', page)
    assert 'value="London"' in page  # what was typed stays
    garbled = client.post(f"/events/{event_id}/edit", data={
        "csrf_token": token, "name": "Radiohead", "venue": "MSG", "city": "New York", "starts": "next tuesday",
        "zone": "UTC"})
    assert re.search(r'id="starts-error">Enter the date and time of the event<', _text(garbled, 400) and
                     garbled.get_data(as_text=True))
    stored = _stored(db, event_id)
    assert (stored["name"], stored["venue"], stored["version"]) == ("Radiohead", "Madison Square Garden", 0)
    assert db.platform_outbox.count_documents({"type": "tickets.event_updated.v1"}) == 0


def test_a_post_without_the_csrf_token_changes_nothing(app, client, db):
    organiser = sign_in(client)
    event_id = _organised(app, organiser)
    response = client.post(f"/events/{event_id}/edit", data={
        "name": "Radiohead", "venue": "O2 Arena", "city": "London", "starts": "2030-06-02T21:30", "zone": "UTC"})
    assert response.status_code == 400
    assert _stored(db, event_id)["venue"] == "Madison Square Garden" and _stored(db, event_id)["version"] == 0
