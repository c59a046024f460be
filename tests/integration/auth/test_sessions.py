"""Signing out ends the session everywhere, for every copy of its cookie; sessions end after their lifetime."""

import time

import pytest

from app.platform.identity import session_key
from tests.integration.auth.conftest import (
    CURRENTUSER,
    PASSWORD,
    SIGNIN,
    SIGNOUT,
    api_signup,
    csrf_token,
    unique_address,
    unique_email,
)


def _copy(app, client):
    """Return a new client holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in_everywhere(client, address="127.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    who = client.get(CURRENTUSER[0], environ_base=environ).get_json()["currentUser"]
    orders = client.get("/api/orders", environ_base=environ).status_code
    listing = client.post("/api/tickets", json={"title": "Stolen session gig", "price": 5},
                          environ_base=environ).status_code
    page = client.get("/tickets/new", environ_base=environ).status_code
    return who, orders, listing, page


@pytest.mark.parametrize("how", ["api", "page"])
def test_a_cookie_copied_before_sign_out_is_signed_out_afterwards_everywhere(app, client, db, how):
    email = unique_email()
    assert api_signup(client, email).status_code == 201
    thief = _copy(app, client)
    who, orders, listing, page = _signed_in_everywhere(thief, unique_address())
    assert (who["email"], orders, listing, page) == (email, 200, 201, 200)  # the copy works while signed in

    if how == "api":
        assert client.post(SIGNOUT[1]).get_json() == {"currentUser": None}
    else:
        token = csrf_token(client, "/")
        assert client.post("/auth/signout", data={"csrf_token": token}).status_code == 302

    for holder, address in ((thief, unique_address()), (thief, "127.0.0.1"), (client, "127.0.0.1")):
        who, orders, listing, page = _signed_in_everywhere(holder, address)
        assert (who, orders, listing, page) == (None, 401, 401, 302)
    # Every other context learns it through the event; the session's id itself never leaves the cookie.
    [ended] = list(db.platform_outbox.find({"type": "auth.session_ended.v1"}))
    assert ended["payload"]["user_id"] == who_id(db, email)
    assert db.platform_ended_sessions.count_documents({"_id": ended["aggregate_id"]}) == 1
    assert thief.get_cookie("session").value.find(ended["aggregate_id"]) == -1


def who_id(db, email):
    return str(db.auth_users.find_one({"email": email})["_id"])


def test_signing_in_again_gives_a_new_session_that_the_old_sign_out_does_not_end(app, client):
    email = unique_email()
    api_signup(client, email)
    client.post(SIGNOUT[0])
    assert client.post(SIGNIN[0], json={"email": email, "password": PASSWORD}).status_code == 200
    assert client.get(CURRENTUSER[0]).get_json()["currentUser"]["email"] == email
    other_device = app.test_client()
    assert other_device.post(SIGNIN[1], json={"email": email, "password": PASSWORD}).status_code == 200
    client.post(SIGNOUT[0])
    # Signing out on one device leaves the other device signed in.
    assert other_device.get(CURRENTUSER[0]).get_json()["currentUser"]["email"] == email


def test_the_ended_session_reaches_every_context_through_its_handlers(app, db):
    from app.auth.events import SessionEnded
    from app.platform.uow import run_in_transaction

    dispatcher = app.extensions["dispatcher"]
    names = dispatcher.handlers_for(SessionEnded.type)
    assert {name.split(".")[1] for name in names} == {"tickets", "orders", "payments"}
    key = session_key("some-session-id")
    event = SessionEnded(aggregate_id=key, version=0, user_id="u1", expires_at="2999-01-01T00:00:00+00:00")
    with app.app_context():
        for name in names:
            run_in_transaction(dispatcher.handler(name), event)  # each as its own service would, and twice is fine
    assert db.platform_ended_sessions.count_documents({"_id": key}) == 1


def test_a_session_ends_after_its_lifetime_however_much_it_is_used(app, client):
    app.config["SESSION_LIFETIME_SECONDS"] = 2
    email = unique_email()
    api_signup(client, email)
    assert client.get_cookie("session").expires is not None  # the browser forgets it too
    for _ in range(3):
        assert client.get(CURRENTUSER[0]).get_json()["currentUser"]["email"] == email
        time.sleep(0.5)
    time.sleep(1.0)
    assert client.get(CURRENTUSER[0]).get_json()["currentUser"] is None
    assert client.get("/api/orders").status_code == 401


def test_the_default_lifetime_is_fourteen_days(app):
    from app import config

    assert config.from_env({"SECRET_KEY": "x"})["SESSION_LIFETIME_SECONDS"] == 14 * 24 * 3600
