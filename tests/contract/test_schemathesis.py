"""Schemathesis over the whole OpenAPI description, against the store started exactly as `make run` starts it.

Its CLI runs every phase (the description's examples, boundary and negative cases, random fuzzing, and stateful
sequences that follow one response into the next request) within a time budget, signed in through the session
cookie of a user signed up first, and fails on any 5xx, an undocumented status, a body or header that does not match
the description, a content type not described, a guarded route that answers without the cookie, or a method that is
not refused with 405. The HAR of every exchange and a JUnit report are kept in test-output/schemathesis/.
"""

import json
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import ROOT
from tests.servers import Store, wait_until

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "ignored_auth", "unsupported_method", "missing_required_header",
])
# Not negative_data_rejection: GET /api/tickets with holder=me or seller=me reads only page and perPage and ignores the
# catalogue's filters, so an invalid filter beside them is not refused (one route, two modes: OpenAPI cannot tell
# them apart). Bad input elsewhere is refused with a documented 4xx, which status_code_conformance checks.
MAX_EXAMPLES = 25  # per operation and phase
TIME_BUDGET_SECONDS = 75  # fuzzing and stateful sequences repeat until it is spent
# Operations a signed-in run must have reached with a 2xx (the cookie was used) and with a 401 (so was its absence).
SIGNED_IN = [("POST", "/api/tickets", 201), ("PUT", "/api/tickets/{id}", 200), ("GET", "/api/orders", 200),
             ("POST", "/api/payments", 201), ("POST", "/api/tickets/{id}/resale", 201)]
GUARDED = [("POST", "/api/tickets"), ("GET", "/api/orders"), ("POST", "/api/orders"), ("POST", "/api/payments")]


@pytest.fixture(scope="module")
def store(out_dir, tmp_path_factory):
    """Start the store as `make run` does (its own embedded MongoDB, SQLite queue, localstripe, gunicorn, worker)."""
    store = Store(out_dir / "schemathesis" / "store.log", tmp_path_factory.mktemp("schemathesis-instance"))
    store.start()
    yield store
    store.stop()


def _signed_up(store, who):
    """Return a requests session signed in as a new account."""
    session = requests.Session()
    response = session.post(f"{store.url}/api/users/signup", timeout=10,
                            json={"email": f"{who}-{uuid.uuid4().hex[:8]}@example.org", "password": "fuzz-pass"})
    assert response.status_code == 201, response.text
    return session


def _reserve(store, buyer, ticket):
    # Orders learns of the ticket through its event, a moment after it is listed.
    placed = wait_until(lambda: (lambda r: r if r.status_code == 201 else None)(
        buyer.post(f"{store.url}/api/orders", json={"ticketId": ticket["id"]}, timeout=10)),
        timeout=20, interval=0.2, message="orders to know the listed ticket")
    order_id = placed.json()["id"]
    wait_until(lambda: buyer.get(f"{store.url}/payments/orders/{order_id}/status", timeout=10,
                                 headers={"Accept": "application/json"}).status_code == 200,
               timeout=20, interval=0.2, message="payments to know the order")
    return order_id


def _seed(store, buyer):
    """Give the fuzzed buyer data to reach past the 404s: orders to pay, tickets held, and e-tickets at their door.

    The buyer organises an event and buys three of its tickets from another seller, so holds their codes and keeps
    their door: two codes go to the door, the third ticket to resale (a checked-in ticket cannot be resold). Then the
    buyer reserves three more tickets, unpaid. Returns {"orders", "held", "codes"}.
    """
    seller = _signed_up(store, "seller")
    starts = (datetime.now(UTC) + timedelta(days=30)).isoformat(timespec="seconds")
    event = buyer.post(f"{store.url}/api/events", timeout=10,
                       json={"name": "Fuzz fest", "venue": "Hall", "city": "Lyon", "startsAt": starts}).json()
    held, codes = [], []
    for number in range(3):
        ticket = seller.post(f"{store.url}/api/tickets", timeout=10,
                             json={"title": f"Fuzz fest seat {number}", "price": 30, "eventId": event["id"]}).json()
        order_id = _reserve(store, buyer, ticket)
        paid = buyer.post(f"{store.url}/api/payments", json={"orderId": order_id, "token": "pm_card_visa"}, timeout=20)
        assert paid.status_code == 201, paid.text
        order = wait_until(lambda order_id=order_id: (lambda o: o if o.get("eticket") else None)(
            buyer.get(f"{store.url}/api/orders/{order_id}", timeout=10).json()),
            timeout=30, interval=0.2, message="the paid order's e-ticket")
        held.append(ticket["id"])
        codes.append(order["eticket"]["code"])
    orders = []
    for number in range(3):  # after the two purchases: a buyer holds at most MAX_ACTIVE_ORDERS_PER_BUYER unpaid
        ticket = seller.post(f"{store.url}/api/tickets", json={"title": f"Fuzzed gig {number}", "price": 20 + number},
                             timeout=10).json()
        orders.append(_reserve(store, buyer, ticket))
    return {"orders": orders, "held": held[2:], "codes": codes[:2]}


def _config(path, cookie, seeded):
    # OpenAPI-aware auth: the cookie goes exactly to the operations whose `security` names the session scheme (and
    # `ignored_auth` sends them once without it, expecting 401). Payments gets orders it can charge and cards
    # localstripe knows, the door gets codes it keeps, resale gets tickets the buyer holds, part of the time:
    # random ids and tokens only ever reach 404 and 400.
    # No cache: nothing of the run is written into the repository (.schemathesis/).
    path.write_text("\n".join([
        "[cache]", "enabled = false", "",
        "[auth.openapi.session]", f'api_key = "{cookie}"', "",
        "[dictionaries.orders]", f"values = {json.dumps(seeded['orders'])}", "",
        "[dictionaries.held]", f"values = {json.dumps(seeded['held'])}", "",
        "[dictionaries.codes]", f"values = {json.dumps(seeded['codes'])}", "",
        "[dictionaries.cards]", 'values = ["pm_card_visa", "pm_card_chargeDeclined"]', "",
        "[dictionaries.prices]", 'values = [20, 25.5, "30.00"]', "",  # within the resale cap of a 30.00 ticket
        "[parameters]",
        '"body.orderId" = { dictionary = "orders", probability = 0.5 }',
        '"body.token" = { dictionary = "cards", probability = 0.5 }',
        '"path.code" = { dictionary = "codes", probability = 0.5 }',
        '"path.ticket_id" = { dictionary = "held", probability = 0.3 }',
        '"body.price" = { dictionary = "prices", probability = 0.3 }', "",
    ]))
    return path


def _exchanges(har_path):
    """Return a Counter of (method, path with ids as {id}, status) over every request the run sent."""
    seen = Counter()
    for entry in json.loads(har_path.read_text())["log"]["entries"]:
        path = re.sub(r"^https?://[^/]+", "", entry["request"]["url"]).split("?")[0]
        path = re.sub(r"/[0-9a-f]{24}(?=/|$)", "/{id}", path)
        seen[(entry["request"]["method"], path, entry["response"]["status"])] += 1
    return seen


def test_the_running_store_answers_as_its_openapi_description_says(store, out_dir, tmp_path):
    reports = out_dir / "schemathesis"
    buyer = _signed_up(store, "schemathesis")
    config = _config(tmp_path / "schemathesis.toml", buyer.cookies["session"], _seed(store, buyer))
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{store.url}/api/openapi.json", "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
               "--max-time", str(TIME_BUDGET_SECONDS), "--workers", "2", "--request-timeout", "20",
               "--generation-database", "none", "--no-color", "--report", "junit,har",
               "--report-junit-path", str(reports / "junit.xml"), "--report-har-path", str(reports / "exchanges.har")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIME_BUDGET_SECONDS + 120,
                            check=False)
    (reports / "output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, (
        f"schemathesis found responses that break the description (full output in {reports}/output.txt; the store's "
        f"log in {store.log_path}):\n{result.stdout[-12000:]}{result.stderr[-3000:]}")

    seen = _exchanges(reports / "exchanges.har")
    server_errors = sorted({key for key in seen if key[2] >= 500})
    assert not server_errors, server_errors
    for method, path, status in SIGNED_IN:
        assert seen[(method, path, status)], f"the signed-in run never got {status} from {method} {path}"
    for method, path in GUARDED:
        assert seen[(method, path, 401)], f"{method} {path} was never tried without the session cookie"
    assert sum(seen.values()) > 500, f"only {sum(seen.values())} requests were sent"
