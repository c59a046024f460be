"""Signing out on the auth service ends the session on the payments service too, within 2 seconds: the services share
only SECRET_KEY and the event stream, each has its own database."""

import time

import pytest
import requests

from tests.integration.split.test_two_processes import (  # noqa: F401 - fixtures reused
    _signed_up,
    split,
    stripe_server,
)

pytestmark = pytest.mark.consumer


def test_a_copied_cookie_is_signed_out_on_the_other_service_within_two_seconds(split):  # noqa: F811
    a, b = split["a"], split["b"]
    buyer = _signed_up(a.url)
    thief = requests.Session()
    thief.cookies.update(buyer.cookies)
    unknown_order = b.url + "/payments/orders/0123456789abcdef01234567/status"
    headers = {"Accept": "application/json"}
    # Signed in on B with the session A signed: the order is merely unknown (404), not "who are you" (401).
    assert thief.get(unknown_order, headers=headers, timeout=5).status_code == 404

    assert buyer.post(a.url + "/api/users/signout", timeout=5).json() == {"currentUser": None}
    signed_out_at = time.monotonic()
    assert thief.get(a.url + "/api/users/currentuser", timeout=5).json() == {"currentUser": None}  # at once on A
    while thief.get(unknown_order, headers=headers, timeout=5).status_code != 401:
        assert time.monotonic() - signed_out_at < 2.0, "B still honours the signed-out session after 2 s"
        time.sleep(0.05)
    print(f"signed out on the payments service {time.monotonic() - signed_out_at:.2f} s after signing out on auth")
    assert thief.post(b.url + "/api/payments", json={"orderId": "0123456789abcdef01234567", "token": "tok_visa"},
                      timeout=5).status_code == 401
