"""Helpers shared by the tickets and orders tests: signed-in clients, in-process queue draining, CSRF tokens."""

import re

from app.tickets import services as tickets
from tests.servers import drain, sign_in


def user_client(app, email=None):
    """Return (client, user id) for a new signed-in user."""
    client = app.test_client()
    return client, sign_in(client, email=email)


def list_ticket(app, seller_id, title="Concert", price=20.5):
    """List a ticket through the tickets service and let its event reach orders' replica; return its id."""
    ticket = tickets.create_ticket(seller_id, title, price)
    drain(app)
    return str(ticket.id)


def csrf_token(client, path):
    """Return the CSRF token of the form on the page at `path`."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def starts_in(**delta):
    """Return an ISO 8601 start time (UTC offset) this far from now, as a client would send it."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def schedule(app, organizer_id=None, name="Radiohead", venue="Madison Square Garden", city="New York", **delta):
    """Announce an event through the tickets service (default: a week from now); return its id."""
    from bson import ObjectId

    from app.tickets import shows

    with app.app_context():
        show = shows.create_event(organizer_id or str(ObjectId()), name, venue, city,
                                  starts_in(**(delta or {"days": 7})))
    return str(show.id)


def list_for_event(app, event_id, seller_id=None, title="Seat", price=20):
    """List a ticket for an event through the tickets service; return its id."""
    from bson import ObjectId

    with app.app_context():
        return str(tickets.create_ticket(seller_id or str(ObjectId()), title, price, event_id).id)


def wait_until_started(client, event_id):
    """Sleep until the event's start (as the API tells it) has passed."""
    import time
    from datetime import UTC, datetime

    start = datetime.fromisoformat(client.get(f"/api/events/{event_id}").get_json()["startsAt"])
    time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 0.05)
