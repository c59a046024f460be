"""Sign-in attempts are limited per client address, per (account, address) and per account across addresses; sign-ups
per client address; on the API (both spellings) and the pages, with counters every worker shares."""

import pytest

from tests.integration.auth.conftest import (
    PASSWORD,
    SIGNIN,
    SIGNOUT,
    SIGNUP,
    api_signup,
    csrf_token,
    unique_address,
    unique_email,
)

LIMIT = 3
CEILING = 5


@pytest.fixture
def low_limit(app):
    """Set a low sign-in limit (the session default is 1000 per minute so other tests never trip it)."""
    app.config["RATELIMIT_SIGNIN"] = f"{LIMIT} per minute"
    app.config["RATELIMIT_SIGNIN_ACCOUNT"] = f"{CEILING} per minute"
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
    for i in range(CEILING):
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


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(low_limit, app):
    """25 wrong passwords for a victim's email from one address locked the victim out everywhere; now only the
    guessing address is refused."""
    victim = unique_email()
    api_signup(app.test_client(), victim)
    attacker, home = unique_address(), unique_address()
    client = app.test_client()
    statuses = [_attempt(client, attacker, victim).status_code for _ in range(25)]
    assert statuses[:LIMIT] == [400] * LIMIT and set(statuses[LIMIT:]) == {429}
    assert _attempt(client, home, victim, password=PASSWORD).status_code == 200
    # The owner may even mistype a few times from home without being locked out.
    assert _attempt(client, home, victim).status_code == 400
    assert _attempt(client, home, victim, password=PASSWORD).status_code == 200


def test_successful_sign_ins_do_not_use_up_the_account_budget(low_limit, app):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    for _ in range(CEILING + 2):
        assert _attempt(client, unique_address(), email, password=PASSWORD).status_code == 200


def test_rate_limit_headers_describe_the_limit_that_refuses_first(app):
    """With a per-account ceiling tighter than the per-address limit, the headers count down the ceiling."""
    app.config["RATELIMIT_SIGNIN"] = "10 per minute"
    app.config["RATELIMIT_SIGNIN_ACCOUNT"] = "4 per minute"
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    remaining = []
    for _ in range(4):
        response = _attempt(client, unique_address(), email)
        assert response.status_code == 400
        assert response.headers["X-RateLimit-Limit"] == "4"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [3, 2, 1, 0]
    refused = _attempt(client, unique_address(), email, password=PASSWORD)
    _assert_limited(refused)
    assert (refused.headers["X-RateLimit-Limit"], refused.headers["X-RateLimit-Remaining"]) == ("4", "0")
    # From one address guessing at many accounts, the per-address limit is the one closest to refusing.
    app.config["RATELIMIT_SIGNIN_ACCOUNT"] = "100 per minute"
    address = unique_address()
    for expected in range(9, 6, -1):
        response = _attempt(client, address, unique_email())
        assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == (
            "10", str(expected))


def test_signup_is_limited_per_client_address(app, client):
    app.config["RATELIMIT_SIGNUP"] = f"{LIMIT} per hour"
    address = unique_address()
    for i in range(LIMIT):
        response = client.post(SIGNUP[i % 2], json={"email": unique_email(), "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 201
        client.post(SIGNOUT[0])
    refused = client.post(SIGNUP[0], json={"email": unique_email(), "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": address})
    assert refused.status_code == 429
    assert refused.get_json() == {"errors": [{"message": "Too many requests; try again later"}]}
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # The sign-up page shares the budget; another address does not.
    token = csrf_token(client, "/auth/signup")
    page = client.post("/auth/signup", data={"csrf_token": token, "email": unique_email(), "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": address})
    assert page.status_code == 429 and "Too many requests" in page.get_data(as_text=True)
    assert client.post(SIGNUP[1], json={"email": unique_email(), "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": unique_address()}).status_code == 201
