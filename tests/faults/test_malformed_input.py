"""Malformed input on every JSON endpoint: a clean 4xx in the one error shape, never a 500 (hypothesis)."""

import json
import re
from urllib.parse import quote

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = ["title", "price", "ticketId", "orderId", "token", "email", "password", "id", "status", "userId"]
SEEN = []
HUGE = "x" * 70_000  # above MAX_CONTENT_LENGTH once in a body

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1e309", "20.555", "NaN", "💥", "a" * 5000, str(ObjectId()), "\x00"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
objects = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), json_values, max_size=6)


def _deep(depth):
    return "[" * depth + "]" * depth


# (body bytes, content type): valid-looking objects with wrong types, other JSON values, broken and deep JSON,
# huge strings, and bodies that are not JSON at all.
bodies = st.one_of(
    objects.map(lambda o: (json.dumps(o), "application/json")),
    json_values.map(lambda v: (json.dumps(v), "application/json")),
    st.sampled_from([
        (_deep(50), "application/json"), (_deep(5_000), "application/json"), (_deep(30_000), "application/json"),
        ('{"a":' * 20_000 + "1" + "}" * 20_000, "application/json"),
        (json.dumps({"title": HUGE, "price": 10}), "application/json"),
        (json.dumps({"title": "x" * 50_000, "price": 10}), "application/json"),
        (json.dumps({"email": "a" * 10_000 + "@x.example", "password": "p" * 10_000}), "application/json"),
        ("{not json", "application/json"), ("", "application/json"), ("\xff\xfe", "application/json"),
        ('{"title": "t", "price": 1}', "text/plain"), ("title=t&price=1", "application/x-www-form-urlencoded"),
        ("null", "application/json"), ('"just a string"', "application/json"), ("[]", "application/json"),
        ('{"price": 1e999}', "application/json"), ('{"price": -0}', "application/json"),
    ]),
)
ids = st.one_of(st.text(max_size=30).filter(lambda s: s not in ("", ".", "..")), st.sampled_from(
    ["0" * 24, "g" * 24, "a" * 25, str(ObjectId()), "x" * 3000, "%00", "null", "undefined", "[]"]))


def _api_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return routes


def _error_shape(body):
    return (isinstance(body, dict) and list(body) == ["errors"] and isinstance(body["errors"], list)
            and body["errors"] and all(isinstance(e, dict) and isinstance(e.get("message"), str)
                                       and set(e) <= {"message", "field"} for e in body["errors"]))


def _checker(app, method, rule, cookie, ticket_id, failures):
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(body=bodies, path_id=st.one_of(ids, st.just(ticket_id)), signed=st.booleans())
    def check(body, path_id, signed):
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", quote(path_id, safe=""), rule)
        client = app.test_client()
        if signed:
            client.set_cookie("session", cookie)
        data, content_type = body
        response = client.open(path, method=method, data=data.encode("utf-8", "surrogatepass"),
                               content_type=content_type)
        status = response.status_code
        SEEN.append((method, rule, status, signed))
        clean = status < 500 and (status < 400 or _error_shape(response.get_json(silent=True)))
        if not clean:
            failures.append((method, path[:60], content_type, data[:60], status, response.get_data(as_text=True)[:200]))
        assert clean, (method, path[:80], data[:120], status, response.get_data(as_text=True)[:300])

    return check


@pytest.fixture
def signed_in(app):
    """Return (session cookie, a ticket id of the signed-in user) for the checks below."""
    client = app.test_client()
    assert client.post("/api/users/signup", json={"email": "fuzz@faults.example",
                                                  "password": "long-enough-1"}).status_code == 201
    ticket = client.post("/api/tickets", json={"title": "Fuzzed gig", "price": 12.5}).json
    return client.get_cookie("session").value, ticket["id"]


def test_every_json_endpoint_answers_malformed_input_with_a_clean_4xx(app, signed_in):
    cookie, ticket_id = signed_in
    app.config["RATELIMIT_ENABLED"] = True
    routes = _api_routes(app)
    assert len(routes) >= 15  # every context's API is served: the check below covers them all
    failures = []
    for method, rule in routes:
        _checker(app, method, rule, cookie, ticket_id, failures)()
    signed_statuses = {status for _method, _rule, status, signed in SEEN if signed}
    assert signed_statuses - {401}, "the signed-in requests never got past sign-in: the fuzzing stopped at the door"
    assert failures == []
