"""Helpers for the auth tests: unique credentials, CSRF tokens from real pages, API calls in both spellings."""

import re
import uuid

import pytest

SIGNUP = ["/api/users/signup", "/api/users/signUp"]
SIGNIN = ["/api/users/signin", "/api/users/signIn"]
SIGNOUT = ["/api/users/signout", "/api/users/signOut"]
CURRENTUSER = ["/api/users/currentuser", "/api/users/currentUser"]
PASSWORD = "s3cret-pass"


def unique_email(prefix="user"):
    """Return an email no other test (or earlier run sharing Redis rate-limit buckets) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def unique_address():
    """Return a client address no other test uses, so per-address limits start empty."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


def csrf_token(client, url):
    """Return the CSRF token rendered in the form of the page at `url`."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def api_signup(client, email, password=PASSWORD, path=SIGNUP[0]):
    """Sign up through the JSON API and return the response."""
    return client.post(path, json={"email": email, "password": password})


@pytest.fixture
def signed_up(client):
    """Return the email of an account this client signed up (and is signed in as)."""
    email = unique_email()
    assert api_signup(client, email).status_code == 201
    return email
