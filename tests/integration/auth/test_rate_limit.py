"""Sign-in attempts are limited per client address and per account, on the API (both spellings) and the page."""

import pytest

from tests.integration.auth.conftest import (
    PASSWORD,
    SIGNIN,
    api_signup,
    csrf_token,
    unique_address,
    unique_email,
)

LIMIT = 3


@pytest.fixture
def low_limit(app):
    """Set a low sign-in limit (the session default is 1000 per minute so other tests never trip it)."""
    app.config["RATELIMIT_SIGNIN"] = f"{LIMIT} per minute"
    return app


def _attempt(client, address, email, path=SIGNIN[0], password="wrong-pass"):
    return client.post(path, json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def _assert_limited(response):
    assert response.status_code == 429
    assert response.get_json() == {"errors": [{"message": "Too many requests; try again later"}]}
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60


def test_signin_is_limited_per_client_address(low_limit, client):
    address = unique_address()
    # Different accounts from one address: both spellings share the same budget.
    for i in range(LIMIT):
        response = _attempt(client, address, unique_email(), path=SIGNIN[i % 2])
        assert response.status_code == 400
    _assert_limited(_attempt(client, address, unique_email(), path=SIGNIN[1]))
    # Another address is not affected.
    assert _attempt(client, unique_address(), unique_email()).status_code == 400


def test_signin_is_limited_per_account(low_limit, app):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    # One account from many addresses (a distributed guess): the account's budget runs out.
    for i in range(LIMIT):
        assert _attempt(client, unique_address(), email.upper(), path=SIGNIN[i % 2]).status_code == 400
    limited = _attempt(client, unique_address(), f" {email} ", password=PASSWORD)
    _assert_limited(limited)
    assert "id" not in limited.get_json()
    # Another account is not affected.
    other = unique_email()
    api_signup(app.test_client(), other)
    assert _attempt(client, unique_address(), other, password=PASSWORD).status_code == 200


def test_signin_page_posts_are_limited_too(low_limit, client):
    address = unique_address()
    email = unique_email()
    token = csrf_token(client, "/auth/signin")
    for _ in range(LIMIT):
        response = client.post("/auth/signin", data={"csrf_token": token, "email": email, "password": "wrong-pass"},
                               environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 400
    response = client.post("/auth/signin", data={"csrf_token": token, "email": email, "password": "wrong-pass"},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many requests" in response.get_data(as_text=True)
    # Showing the page is not an attempt.
    assert client.get("/auth/signin", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_signin_still_answers_and_is_still_limited_while_redis_is_down(low_limit, client, monkeypatch):
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    from app.extensions import limiter
    from app.platform.embedded import free_port

    # What a Redis outage looks like to the limiter: its storage refuses connections (the shared Redis stays up for
    # the rest of the suite).
    dead = storage_from_string(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(limiter, "_storage", dead)
    monkeypatch.setattr(limiter, "_limiter", FixedWindowRateLimiter(dead))
    monkeypatch.setattr(limiter, "_storage_dead", False)
    address = unique_address()
    for _ in range(LIMIT):
        assert _attempt(client, address, unique_email()).status_code == 400
    # Counted in the process's memory meanwhile: the limit still holds.
    _assert_limited(_attempt(client, address, unique_email()))
