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
