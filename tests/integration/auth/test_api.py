"""The JSON API, compatible with the original service, in both spellings of every route."""

import pytest
from bson import ObjectId

from tests.integration.auth.conftest import (
    CURRENTUSER,
    PASSWORD,
    SIGNIN,
    SIGNOUT,
    SIGNUP,
    api_signup,
    unique_email,
)


def _errors(response):
    return response.get_json()["errors"]


def _session_cookie(response):
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


# --- sign up ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SIGNUP)
def test_signup_creates_account_and_signs_in(client, db, path):
    email = unique_email()
    response = client.post(path, json={"email": f"  {email.upper()} ", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "email": email}
    assert ObjectId.is_valid(body["id"])
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get(CURRENTUSER[0]).get_json() == {"currentUser": {"id": body["id"], "email": email}}
    stored = db.auth_users.find_one({"_id": ObjectId(body["id"])})
    assert stored["email"] == email
    assert stored["password_hash"].startswith("scrypt:") and PASSWORD not in stored["password_hash"]


@pytest.mark.parametrize("path", SIGNUP)
def test_signup_never_returns_the_password(client, path):
    response = api_signup(client, unique_email(), path=path)
    assert PASSWORD not in response.get_data(as_text=True)
    assert "password" not in response.get_json()


@pytest.mark.parametrize("path", SIGNUP)
@pytest.mark.parametrize(("body", "fields"), [
    ({"email": "not-an-email", "password": PASSWORD}, ["email"]),
    ({"email": "a@b.test", "password": PASSWORD}, ["email"]),
    ({"password": PASSWORD}, ["email"]),
    ({"email": 42, "password": PASSWORD}, ["email"]),
    ({"email": "ok@example.com", "password": "abcd"}, ["password"]),
    ({"email": "ok@example.com", "password": "  abcd    "}, ["password"]),  # 4 characters once trimmed
    ({"email": "ok@example.com", "password": "x" * 21}, ["password"]),
    ({"email": "ok@example.com", "password": None}, ["password"]),
    ({"email": "ok@example.com"}, ["password"]),
    ({"email": "nope", "password": "abc"}, ["email", "password"]),
    ({}, ["email", "password"]),
])
def test_signup_refuses_bad_fields_one_error_each(client, db, path, body, fields):
    response = client.post(path, json=body)
    assert response.status_code == 400
    errors = _errors(response)
    assert sorted(e["field"] for e in errors) == sorted(fields)
    assert all(e["message"] for e in errors)
    assert db.auth_users.count_documents({}) == 0


@pytest.mark.parametrize("path", SIGNUP)
def test_signup_accepts_password_lengths_at_the_limits(client, path):
    assert api_signup(client, unique_email(), password=" abcde ", path=path).status_code == 201
    assert api_signup(client, unique_email(), password="y" * 20, path=path).status_code == 201


@pytest.mark.parametrize("path", SIGNUP)
def test_signup_refuses_an_email_in_use_whatever_its_case(client, db, path):
    email = unique_email()
    assert api_signup(client, email).status_code == 201
    response = client.post(path, json={"email": f" {email.upper()}", "password": "other-pass"})
    assert response.status_code == 400
    assert _errors(response) == [{"message": "Email in use", "field": "email"}]
    assert db.auth_users.count_documents({"email": email}) == 1


@pytest.mark.parametrize("path", SIGNUP)
def test_signup_requires_a_json_body(client, db, path):
    response = client.post(path, data={"email": unique_email(), "password": PASSWORD})
    assert response.status_code == 415
    assert _errors(response)[0]["message"]
    assert db.auth_users.count_documents({}) == 0


@pytest.mark.parametrize("path", SIGNUP)
@pytest.mark.parametrize("raw", ['{"email": ', "[1, 2]", '"just a string"'])
def test_signup_refuses_malformed_json(client, db, path, raw):
    response = client.post(path, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert _errors(response)[0]["message"]
    assert db.auth_users.count_documents({}) == 0


# --- sign in ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SIGNIN)
def test_signin_answers_the_user_and_sets_a_cookie(app, path):
    email = unique_email()
    user_id = api_signup(app.test_client(), email).get_json()["id"]
    client = app.test_client()
    response = client.post(path, json={"email": email.upper(), "password": f" {PASSWORD} "})
    assert response.status_code == 200
    assert response.get_json() == {"id": user_id, "email": email}
    assert "HttpOnly" in _session_cookie(response)
    assert PASSWORD not in response.get_data(as_text=True)
    assert client.get(CURRENTUSER[1]).get_json() == {"currentUser": {"id": user_id, "email": email}}


@pytest.mark.parametrize("path", SIGNIN)
def test_signin_gives_one_answer_for_unknown_email_and_wrong_password(client, signed_up, path):
    wrong_password = client.post(path, json={"email": signed_up, "password": "wrong-pass"})
    unknown_email = client.post(path, json={"email": unique_email(), "password": PASSWORD})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert _errors(response) == [{"message": "Invalid credentials"}]


@pytest.mark.parametrize("path", SIGNIN)
def test_signin_failure_leaves_nobody_signed_in(app, path):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    client.post(path, json={"email": email, "password": "wrong-pass"})
    assert client.get(CURRENTUSER[0]).get_json() == {"currentUser": None}


@pytest.mark.parametrize("path", SIGNIN)
@pytest.mark.parametrize(("body", "fields"), [
    ({"email": "nope", "password": PASSWORD}, ["email"]),
    ({"email": "ok@example.com", "password": "   "}, ["password"]),
    ({}, ["email", "password"]),
])
def test_signin_refuses_bad_fields(client, path, body, fields):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert sorted(e["field"] for e in _errors(response)) == fields


@pytest.mark.parametrize("path", SIGNIN)
def test_signin_requires_json(client, signed_up, path):
    assert client.post(path, data={"email": signed_up, "password": PASSWORD}).status_code == 415
    assert client.post(path, data="{", content_type="application/json").status_code == 400


@pytest.mark.parametrize("path", SIGNIN)
def test_signin_renews_the_session(app, path):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    assert client.post(path, json={"email": email, "password": PASSWORD}).status_code == 200
    with client.session_transaction() as session:
        assert "planted" not in session


# --- sign out and current user ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SIGNOUT)
def test_signout_ends_the_session(client, signed_up, path):
    assert client.get(CURRENTUSER[0]).get_json()["currentUser"]["email"] == signed_up
    response = client.post(path)
    assert response.status_code == 200
    assert response.get_json() == {"currentUser": None}
    assert client.get(CURRENTUSER[0]).get_json() == {"currentUser": None}
    with client.session_transaction() as session:
        assert dict(session) == {}


@pytest.mark.parametrize("path", SIGNOUT)
def test_signout_accepts_a_json_body(client, signed_up, path):
    assert client.post(path, json={}).get_json() == {"currentUser": None}
    assert client.get(CURRENTUSER[1]).get_json() == {"currentUser": None}


@pytest.mark.parametrize("path", SIGNOUT)
def test_signout_refuses_a_form_encoded_body(client, signed_up, path):
    response = client.post(path, data={"x": "1"})
    assert response.status_code == 415
    assert client.get(CURRENTUSER[0]).get_json()["currentUser"]["email"] == signed_up


@pytest.mark.parametrize("path", CURRENTUSER)
def test_currentuser_is_null_when_signed_out(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"currentUser": None}


@pytest.mark.parametrize("path", CURRENTUSER)
def test_currentuser_answers_from_the_session_alone(client, db, signed_up, path):
    user = db.auth_users.find_one({"email": signed_up})
    # No database read: the signed session is the identity (as the original's JWT cookie was).
    db.auth_users.delete_many({})
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"currentUser": {"id": str(user["_id"]), "email": signed_up}}


def test_routes_refuse_wrong_methods(client):
    assert client.get(SIGNUP[0]).status_code == 405
    assert client.post(CURRENTUSER[0], json={}).status_code == 405
