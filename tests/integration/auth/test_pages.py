"""The sign-up, sign-in and sign-out pages: CSRF on every form, errors beside fields, safe `next` redirects."""

import re

import pytest

from tests.integration.auth.conftest import (
    CURRENTUSER,
    PASSWORD,
    api_signup,
    csrf_token,
    unique_email,
)


def _field_error(page, field):
    """Return the error text rendered inside the field's own block, or None."""
    match = re.search(rf'<div class="field has-error" id="{field}-field">(.*?)</div>', page, re.DOTALL)
    if not match:
        return None
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', match.group(1), re.DOTALL)
    return error.group(1).strip() if error else None


def _post_form(client, url, **fields):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **fields})


def _current_email(client):
    user = client.get(CURRENTUSER[0]).get_json()["currentUser"]
    return user and user["email"]


@pytest.mark.parametrize("url", ["/auth/signup", "/auth/signin"])
def test_pages_show_a_form_with_a_csrf_token(client, url):
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in page and 'type="password"' in page
    assert csrf_token(client, url)
    assert 'href="/auth/signup"' in page and 'href="/auth/signin"' in page


def test_signup_page_creates_the_account_and_signs_in(client, db):
    email = unique_email()
    response = _post_form(client, "/auth/signup", email=email.upper(), password=PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert db.auth_users.count_documents({"email": email}) == 1
    assert _current_email(client) == email
    header = client.get("/auth/signin").get_data(as_text=True)
    for shown in (email, "Sell tickets", "My orders", "Sign out"):
        assert shown in header
    assert 'href="/auth/signup"' not in header.split("</header>")[0]


def test_signup_page_shows_errors_beside_fields_and_keeps_the_email(client, db):
    response = _post_form(client, "/auth/signup", email="not-an-email", password="abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _field_error(page, "email") == "Email must be valid"
    assert _field_error(page, "password") == "Password must be between 5 and 20 characters"
    assert 'value="not-an-email"' in page
    assert 'value="abc"' not in page
    assert 'aria-describedby="email-error"' in page
    assert db.auth_users.count_documents({}) == 0


def test_signup_page_shows_email_in_use_beside_the_email(client, db):
    email = unique_email()
    assert api_signup(client.application.test_client(), email).status_code == 201
    response = _post_form(client, "/auth/signup", email=email, password="another-pass")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _field_error(page, "email") == "Email in use"
    assert _field_error(page, "password") is None
    assert "another-pass" not in page
    assert db.auth_users.count_documents({}) == 1


def test_signin_page_signs_in_and_returns_to_next(app):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    url = "/auth/signin?next=/orders/abc%3Fx%3D1"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "email": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/orders/abc?x=1"
    assert _current_email(client) == email


def test_signin_page_refuses_wrong_password_keeping_the_email(app):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    response = _post_form(client, "/auth/signin", email=email, password="wrong-pass")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<p class="form-error" role="alert" id="signin-error">Invalid credentials</p>', page)
    assert f'value="{email}"' in page
    assert "wrong-pass" not in page
    assert _current_email(client) is None


def test_signin_page_shows_errors_beside_fields(client):
    response = _post_form(client, "/auth/signin", email="bad", password="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _field_error(page, "email") == "Email must be valid"
    assert _field_error(page, "password") == "You must supply a password"


@pytest.mark.parametrize("evil", [
    "//evil.com", "https://evil.com/x", "http:evil.com", "/\\evil.com", "\\\\evil.com", "/\t/evil.com",
    "/%0a/evil.com".replace("%0a", "\n"), "javascript:alert(1)", "evil.com", "///evil.com", " //evil.com",
])
def test_signin_never_redirects_off_site(app, evil):
    email = unique_email()
    api_signup(app.test_client(), email)
    client = app.test_client()
    token = csrf_token(client, "/auth/signin")
    response = client.post("/auth/signin", query_string={"next": evil},
                           data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signup_page_keeps_a_safe_next_and_drops_an_evil_one(client):
    token = csrf_token(client, "/auth/signup")
    good = client.post("/auth/signup?next=/tickets/new", data={
        "csrf_token": token, "email": unique_email(), "password": PASSWORD})
    assert good.headers["Location"] == "/tickets/new"
    client.post("/auth/signout", data={"csrf_token": csrf_token(client, "/auth/signin")})
    token = csrf_token(client, "/auth/signup")
    evil = client.post("/auth/signup?next=//evil.com", data={
        "csrf_token": token, "email": unique_email(), "password": PASSWORD})
    assert evil.headers["Location"] == "/"


def test_signout_form_ends_the_session(client, signed_up):
    token = csrf_token(client, "/auth/signin")
    response = client.post("/auth/signout", data={"csrf_token": token})
    assert response.status_code == 302
    assert _current_email(client) is None


# --- forged requests ---------------------------------------------------------------------------------------------

@pytest.fixture
def csrf_on(app):
    """Make sure CSRF is enforced exactly as in production (the test app also runs with TESTING=True)."""
    app.config["WTF_CSRF_ENABLED"] = True
    assert app.config["TESTING"] is True
    return app


@pytest.mark.parametrize("url", ["/auth/signup", "/auth/signin"])
def test_forged_form_post_without_csrf_token_is_refused(csrf_on, client, db, url):
    email = unique_email()
    response = client.post(url, data={"email": email, "password": PASSWORD}, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert db.auth_users.count_documents({}) == 0
    assert _current_email(client) is None


def test_forged_form_post_with_a_wrong_token_is_refused(csrf_on, client, db):
    csrf_token(client, "/auth/signup")  # the victim has a session with a real token
    response = client.post("/auth/signup", data={"csrf_token": "forged", "email": unique_email(),
                                                 "password": PASSWORD})
    assert response.status_code == 400
    assert db.auth_users.count_documents({}) == 0


def test_forged_signout_without_csrf_token_is_refused(csrf_on, client, signed_up):
    response = client.post("/auth/signout")
    assert response.status_code == 400
    assert _current_email(client) == signed_up


@pytest.mark.parametrize("path", ["/api/users/signup", "/api/users/signUp"])
@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"])
def test_cross_site_form_post_to_the_json_api_is_refused(csrf_on, client, db, path, content_type):
    # What a hostile page's <form> can send: one of these three encodings, with no custom headers.
    email = unique_email()
    if content_type == "text/plain":
        response = client.post(path, data=f'{{"email": "{email}", "password": "{PASSWORD}"}}',
                               content_type="text/plain", headers={"Origin": "https://evil.example"})
    else:
        response = client.post(path, data={"email": email, "password": PASSWORD}, content_type=content_type,
                               headers={"Origin": "https://evil.example"})
    assert response.status_code == 415
    assert response.get_json()["errors"][0]["message"]
    assert db.auth_users.count_documents({}) == 0
    assert _current_email(client) is None


def test_cookie_is_samesite_lax_and_httponly(client):
    response = _post_form(client, "/auth/signup", email=unique_email(), password=PASSWORD)
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
