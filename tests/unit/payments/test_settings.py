"""Demo mode versus live mode: which keys, server and stripe.js the payments context uses."""

from app.platform.localstripe import (
    DEMO_PUBLISHABLE_KEY,
    DEMO_SECRET_KEY,
    DEMO_WEBHOOK_SECRET,
    effective_settings,
)
from app.platform.money import format_money

BASE = {"STRIPE_SECRET_KEY": "", "STRIPE_PUBLISHABLE_KEY": "", "STRIPE_WEBHOOK_SECRET": "", "STRIPE_API_BASE": "",
        "STRIPE_JS_URL": "https://js.stripe.com/v3/", "STRIPE_TIMEOUT_SECONDS": 10.0, "LOCALSTRIPE_PORT": 8420}


def test_no_secret_key_means_demo_mode_against_local_stripe():
    """Without a secret key, use demo keys, the local server and its stand-in stripe.js."""
    s = effective_settings(BASE)
    assert s["demo"] is True
    assert (s["secret_key"], s["publishable_key"], s["webhook_secret"]) == (
        DEMO_SECRET_KEY, DEMO_PUBLISHABLE_KEY, DEMO_WEBHOOK_SECRET)
    assert s["api_base"] == "http://127.0.0.1:8420"
    assert s["js_url"] == "http://127.0.0.1:8420/js.stripe.com/v3/"


def test_demo_mode_follows_an_explicit_api_base():
    """STRIPE_API_BASE moves both the API calls and the stand-in stripe.js."""
    s = effective_settings({**BASE, "STRIPE_API_BASE": "http://127.0.0.1:9999/"})
    assert s["api_base"] == "http://127.0.0.1:9999"
    assert s["js_url"] == "http://127.0.0.1:9999/js.stripe.com/v3/"


def test_a_secret_key_means_live_mode_with_stripe_js():
    """With a secret key, the configured keys and Stripe's own stripe.js are used; no local defaults leak in."""
    s = effective_settings({**BASE, "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
                            "STRIPE_WEBHOOK_SECRET": "whsec_live"})
    assert s["demo"] is False
    assert (s["secret_key"], s["publishable_key"], s["webhook_secret"]) == ("sk_live_x", "pk_live_x", "whsec_live")
    assert s["api_base"] == ""
    assert s["js_url"] == "https://js.stripe.com/v3/"


def test_money_is_shown_from_minor_units():
    """Minor units become a readable amount; zero-decimal currencies stay whole."""
    assert format_money(2050, "usd") == "$20.50"
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(500, "JPY") == "¥500"
    assert format_money(2050, "SEK") == "20.50 SEK"
