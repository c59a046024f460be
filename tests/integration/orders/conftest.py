"""Fixtures of the orders tests."""

import pytest


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's per-test request context: under it every request shares one `g`, so Flask-Login's
    cached user would leak from one client to the next. Tests open an app context where they call services."""
    yield


@pytest.fixture
def client(app):
    """Return a test client that keeps no request context after a request (pytest-flask's `with client:` would,
    and a second client's request would then reuse the first one's `g` and signed-in user)."""
    return app.test_client()
