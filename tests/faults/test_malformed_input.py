"""Malformed input on every JSON endpoint, every form and every query parameter: a clean 4xx in the one error shape
(a page for the forms), never a 500 (hypothesis); and the specific inputs that once made 500s."""

import json
import re
from urllib.parse import quote

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import sign_in

FIELDS = ["title", "price", "ticketId", "orderId", "token", "email", "password", "id", "status", "userId"]
SEEN = []
HUGE = "x" * 70_000  # above MAX_CONTENT_LENGTH once in a body

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1e309", "20.555", "NaN", "💥", "a" * 5000, str(ObjectId()), "\x00",
                     "\ud800", "a\udfffb", "107374184", "99999999999999999999", "-99999999999999999999"]),
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


# Page routes whose body is JSON (the order page's script calls them with the CSRF token in a header).
JSON_PAGE_ROUTES = {"/payments/orders/<order_id>/pay", "/payments/attempts/<payment_id>/sync"}


def _api_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in JSON_PAGE_ROUTES:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return routes


def _form_routes(app):
    return [rule.rule for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.rule not in JSON_PAGE_ROUTES]


def _page_routes(app):
    return [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.rule.startswith("/static")]


def _fill(rule, path_id):
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", quote(path_id, safe=""), rule)


def _error_shape(body):
    return (isinstance(body, dict) and list(body) == ["errors"] and isinstance(body["errors"], list)
            and body["errors"] and all(isinstance(e, dict) and isinstance(e.get("message"), str)
                                       and set(e) <= {"message", "field"} for e in body["errors"]))


def _checker(app, method, rule, fresh_session, ticket_id, failures):
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(body=bodies, path_id=st.one_of(ids, st.just(ticket_id)), signed=st.booleans())
    def check(body, path_id, signed):
        path = _fill(rule, path_id)
        client = app.test_client()
        headers = {"Accept": "application/json"}  # as the order page's script asks
        if signed:
            cookie, token = fresh_session()
            client.set_cookie("session", cookie)
            headers["X-CSRFToken"] = token
        data, content_type = body
        response = client.open(path, method=method, data=data.encode("utf-8", "surrogatepass"),
                               content_type=content_type, headers=headers)
        status = response.status_code
        SEEN.append((method, rule, status, signed))
        clean = status < 500 and (status < 400 or _error_shape(response.get_json(silent=True)))
        if not clean:
            failures.append((method, path[:60], content_type, data[:60], status, response.get_data(as_text=True)[:200]))
        assert clean, (method, path[:80], data[:120], status, response.get_data(as_text=True)[:300])

    return check


@pytest.fixture
def signed_in(app):
    """Return (a function giving a fresh (session cookie, CSRF token) of one user, a ticket id of that user).

    A fresh session per example: a fuzzed sign-out ends its session for good, and must not sign out the rest."""
    client = app.test_client()
    email = "fuzz@faults.example"
    created = client.post("/api/users/signup", json={"email": email, "password": "long-enough-1"})
    assert created.status_code == 201
    ticket = client.post("/api/tickets", json={"title": "Fuzzed gig", "price": 12.5}).json

    def fresh_session():
        fresh = app.test_client()
        sign_in(fresh, user_id=created.json["id"], email=email)
        page = fresh.get("/tickets/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return fresh.get_cookie("session").value, token

    return fresh_session, ticket["id"]


def test_every_json_endpoint_answers_malformed_input_with_a_clean_4xx(app, signed_in):
    fresh_session, ticket_id = signed_in
    app.config["RATELIMIT_ENABLED"] = True
    routes = _api_routes(app)
    assert len(routes) >= 17  # every context's API and the page's JSON routes: the check below covers them all
    failures = []
    for method, rule in routes:
        _checker(app, method, rule, fresh_session, ticket_id, failures)()
    signed_statuses = {status for _method, _rule, status, signed in SEEN if signed}
    assert signed_statuses - {401}, "the signed-in requests never got past sign-in: the fuzzing stopped at the door"
    assert failures == []


FORM_FIELDS = ["csrf_token", "email", "password", "title", "price", "ticket_id", "next", "submit", "page"]
form_values = st.one_of(st.text(max_size=60), st.sampled_from(
    ["", " ", "0", "-1", "1e309", "NaN", "20.555", "a" * 5000, str(ObjectId()), "%ED%A0%80", "\x00", "💥",
     "//evil.example", "/\\evil.example", "javascript:alert(1)"]))
# Raw urlencoded bytes too: percent-escapes of a lone surrogate, of invalid UTF-8, repeated and empty names.
raw_forms = st.sampled_from([
    b"title=%ED%A0%80&price=%ED%A0%80", b"email=%ff%fe&password=%c3", b"ticket_id=%00", b"title=&title=x&price=1",
    b"=&&=&", b"price=1e999999999", b"email=a%40b.example&password=" + b"p" * 70_000,
])


def _form_checker(app, rule, fresh_session, ticket_id, failures):
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(fields=st.dictionaries(st.one_of(st.sampled_from(FORM_FIELDS), st.text(max_size=10)), form_values,
                                  max_size=6),
           raw=st.one_of(st.none(), raw_forms), path_id=st.one_of(ids, st.just(ticket_id)), signed=st.booleans(),
           with_token=st.booleans(), query=st.dictionaries(st.sampled_from(["next", "page", "x"]), form_values,
                                                           max_size=2))
    def check(fields, raw, path_id, signed, with_token, query):
        client = app.test_client()
        token = None
        if signed:
            cookie, token = fresh_session()
            client.set_cookie("session", cookie)
        if raw is not None:
            data = (raw + (b"&csrf_token=" + token.encode() if token and with_token else b""))
        else:
            data = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in fields.items()}
            if token and with_token:
                data["csrf_token"] = token
        path = _fill(rule, path_id)
        response = client.post(path, data=data, query_string={k: v.encode("utf-8", "surrogatepass") for k, v in
                                                                 query.items()},
                               content_type="application/x-www-form-urlencoded")
        status = response.status_code
        SEEN_FORMS.append((rule, status, signed))
        if status >= 500:
            failures.append((rule, str(fields)[:80], raw, status, response.get_data(as_text=True)[:200]))
        assert status < 500, (rule, fields, raw, status)

    return check


SEEN_FORMS = []


def test_every_form_answers_malformed_input_without_a_500(app, signed_in):
    fresh_session, ticket_id = signed_in
    app.config["RATELIMIT_ENABLED"] = True
    routes = _form_routes(app)
    assert {"/auth/signup", "/auth/signin", "/auth/signout", "/tickets/new", "/tickets/<ticket_id>/edit", "/orders",
            "/orders/<order_id>/cancel"} <= set(routes)
    failures = []
    for rule in routes:
        _form_checker(app, rule, fresh_session, ticket_id, failures)()
    assert failures == []
    # The fuzzing got past the CSRF check and sign-in: some forms were answered with a redirect or a page of errors.
    assert {status for _rule, status, signed in SEEN_FORMS if signed} & {200, 302}


def test_every_query_parameter_of_every_page_and_api_route_answers_without_a_500(app, signed_in):
    fresh_session, ticket_id = signed_in
    cookie, _token = fresh_session()
    routes = _page_routes(app)
    failures = []

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(rule=st.sampled_from(routes), path_id=st.one_of(ids, st.just(ticket_id)), signed=st.booleans(),
           query=st.dictionaries(st.sampled_from(["page", "next", "ticketId", "q", "x"]), form_values, max_size=3))
    def check(rule, path_id, signed, query):
        client = app.test_client()
        if signed:
            client.set_cookie("session", cookie)
        path = _fill(rule, path_id)
        response = client.get(path, query_string={k: v.encode("utf-8", "surrogatepass") for k, v in query.items()})
        if response.status_code >= 500 or (response.status_code >= 400 and response.is_json
                                            and not _error_shape(response.get_json(silent=True))):
            failures.append((path, query, response.status_code))
        assert response.status_code < 500, (path, query, response.status_code)

    check()
    assert failures == []


@pytest.mark.parametrize("page", ["107374184", "99999999999999999999", "2147483648", "-5", "0", "x", "1e3", ""])
def test_a_huge_or_odd_page_number_shows_a_normal_page(client, page):
    for path, heading in (("/", "Upcoming events"), ("/tickets", "Tickets for sale")):
        response = client.get(path, query_string={"page": page})
        assert response.status_code == 200, path
        assert heading in response.get_data(as_text=True), path


def test_api_without_a_slash_answers_in_the_json_error_shape(client):
    for path in ("/api", "/api?x=1"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.get_json() == {"errors": [{"message": "Not found"}]}


SURROGATE = "\ud800"


@pytest.mark.parametrize("path", ["/api/users/signup", "/api/users/signUp"])
@pytest.mark.parametrize("field", ["email", "password"])
def test_a_lone_surrogate_at_sign_up_is_the_fields_error(client, db, path, field):
    body = {"email": "new@faults.example", "password": "long-enough-1", field: f"pass{SURROGATE}word"}
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert db.auth_users.count_documents({}) == 0


@pytest.mark.parametrize("path", ["/api/users/signin", "/api/users/signIn"])
@pytest.mark.parametrize("field", ["email", "password"])
def test_a_lone_surrogate_at_sign_in_is_the_fields_error(client, path, field):
    client.post("/api/users/signup", json={"email": "known@faults.example", "password": "long-enough-1"})
    body = {"email": "known@faults.example", "password": "long-enough-1", field: SURROGATE}
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


@pytest.mark.parametrize("field", ["title", "price"])
def test_a_lone_surrogate_in_a_listing_is_the_fields_error(app, client, db, field):
    client.post("/api/users/signup", json={"email": "seller@faults.example", "password": "long-enough-1"})
    ticket = client.post("/api/tickets", json={"title": "Gig", "price": 10}).get_json()
    body = {"title": "Gig", "price": 10, field: f"Gig {SURROGATE}"}
    created = client.post("/api/tickets", json=body)
    edited = client.put(f"/api/tickets/{ticket['id']}", json=body)
    for response in (created, edited):
        assert response.status_code == 400
        assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert db.tickets_tickets.count_documents({}) == 1


def test_the_services_refuse_a_lone_surrogate_too(app):
    from app.auth import services as auth
    from app.platform.errors import ValidationError
    from app.tickets import services as tickets

    with app.app_context():
        for call, field in ((lambda: auth.register_user("a@b.example", f"pass{SURROGATE}word"), "password"),
                            (lambda: auth.authenticate("a@b.example", SURROGATE), "password"),
                            (lambda: auth.register_user(f"a{SURROGATE}@b.example", "long-enough-1"), "email"),
                            (lambda: tickets.create_ticket("u1", f"Gig {SURROGATE}", 10), "title")):
            with pytest.raises(ValidationError) as refused:
                call()
            assert list(refused.value.errors) == [field]
