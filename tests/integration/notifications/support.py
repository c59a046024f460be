"""Steps of the notifications tests: people signing up, selling, reserving and paying through the real API."""

import uuid

from tests.integration.notifications.conftest import PUBLIC_URL

PASSWORD = "secret-pass-1"


def signed_up(app, email=None):
    """Return (test client signed in as a new account, its email, its user id), made through the signup API."""
    client = app.test_client()
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    response = client.post("/api/users/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return client, email, response.get_json()["id"]


def sell(client, title="Concert", price="20.50"):
    """List a ticket; return its JSON."""
    response = client.post("/api/tickets", json={"title": title, "price": price})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def reserve(client, ticket_id, timeout=15.0):
    """Reserve a ticket once orders knows it; return the order's JSON."""
    from tests.servers import wait_until

    def attempt():
        response = client.post("/api/orders", json={"ticketId": ticket_id})
        if response.status_code == 404:
            return None
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return wait_until(attempt, timeout=timeout, message="orders' replica of the ticket")


def pay(client, order_id, token="pm_card_visa", timeout=15.0):
    """Pay for an order once payments knows it; return the payment's JSON."""
    from tests.servers import wait_until

    def attempt():
        response = client.post("/api/payments", json={"orderId": order_id, "token": token})
        if response.status_code == 404:
            return None
        assert response.status_code == 201, response.get_json()
        return response.get_json()["payment"]

    return wait_until(attempt, timeout=timeout, message="payments' replica of the order")


def path_of(link):
    """Return the path of an absolute link to the store, checking it is built on PUBLIC_URL."""
    assert link.startswith(PUBLIC_URL + "/"), link
    return link[len(PUBLIC_URL):]


def follows(client, link):
    """GET a link's path with a test client; return the status and where a redirect goes."""
    response = client.get(path_of(link))
    return response.status_code, response.headers.get("Location")
