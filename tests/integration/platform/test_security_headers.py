"""Every response carries the security headers: a CSP without inline scripts, nosniff, no framing, a referrer policy,
and HSTS when the site is served over HTTPS."""

import re

import pytest

from app import create_app


def _policy(response):
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# The demo mailbox's email document: an email is styled inline, so it alone may use inline styles; it runs no script
# and only the store's own message page may frame it.
_EMAIL_DOCUMENT = re.compile(r"^/dev/mail/[^/]+/html$")


def _assert_protected(response, what):
    policy = _policy(response)
    assert policy, f"{what}: no Content-Security-Policy"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], what
    if _EMAIL_DOCUMENT.match(what):
        assert policy["script-src"] == ["'none'"] and policy["frame-ancestors"] == ["'self'"], what
        assert response.headers.get("X-Frame-Options") == "SAMEORIGIN", what
    else:
        assert "'unsafe-inline'" not in policy.get("style-src", []), what
        assert policy["frame-ancestors"] == ["'none'"], what
        assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what


def _get_routes(app):
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            paths.append(re.sub(r"<(?:[^:>]+:)?[^>]+>", "0123456789abcdef01234567", rule.rule))
    return paths


def test_every_page_api_answer_error_and_file_carries_the_headers(app, client):
    paths = _get_routes(app) + ["/static/style.css", "/static/app.js", "/no-such-page", "/api/no-such-thing",
                                "/api", "/?page=2"]
    assert len(paths) > 15
    for path in paths:
        for accept in ("text/html", "application/json"):
            _assert_protected(client.get(path, headers={"Accept": accept}), path)
    # Refusals and failures too: a wrong method, a malformed body, a refused sign-in.
    _assert_protected(client.delete("/healthz"), "405")
    _assert_protected(client.post("/api/tickets", data="{", content_type="application/json"), "401")
    _assert_protected(client.post("/api/users/signin", json={"email": "x"}), "400")


def test_demo_mode_allows_localstripe_and_live_mode_allows_stripe(base_env):
    demo = create_app(dict(base_env) | {"STRIPE_SECRET_KEY": "", "LOCALSTRIPE_PORT": "8499"})
    policy = _policy(demo.test_client().get("/healthz"))
    assert "http://127.0.0.1:8499" in policy["script-src"] and "http://127.0.0.1:8499" in policy["connect-src"]
    assert not any("stripe.com" in source for source in policy["script-src"])

    live = create_app(dict(base_env) | {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x"})
    policy = _policy(live.test_client().get("/healthz"))
    assert "https://js.stripe.com" in policy["script-src"] and "https://api.stripe.com" in policy["connect-src"]
    assert "https://js.stripe.com" in policy["frame-src"]
    assert not any("127.0.0.1" in source for source in policy["script-src"])


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_only_when_the_site_is_served_over_https(base_env, secure):
    app = create_app(dict(base_env) | {"SESSION_COOKIE_SECURE": str(secure).lower()})
    response = app.test_client().get("/healthz", base_url="https://shop.example")
    hsts = response.headers.get("Strict-Transport-Security")
    if secure:
        assert hsts and "max-age=" in hsts
    else:
        assert hsts is None
    _assert_protected(response, "https")


def test_pages_hold_no_inline_script_or_style(app, client):
    from tests.servers import sign_in

    sign_in(client)
    for path in ("/", "/auth/signin", "/tickets/new", "/orders"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path
