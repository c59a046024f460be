"""One purchase, followed: every event carries the chain it belongs to, and `flask events trace` prints the chain."""

import json
import subprocess
import sys
import uuid

import pytest
from bson import ObjectId

from app.orders import services as orders
from tests.conftest import ROOT, env_for
from tests.integration.orders import flow
from tests.integration.tickets.support import user_client
from tests.servers import drain


def _chain(db, correlation_id):
    return {doc["type"]: doc for doc in db.platform_outbox.find({"payload.correlation_id": correlation_id})}


@pytest.mark.consumer
def test_a_reservation_and_what_it_causes_share_the_requests_id_across_contexts(app, db, worker):
    seller, _ = user_client(app)
    buyer, _ = user_client(app)
    ticket_id = seller.post("/api/tickets", json={"title": "Opera", "price": 40}).get_json()["id"]
    flow.wait_for_replica(db, ticket_id, "available", 0)
    request_id = f"purchase-{uuid.uuid4().hex[:12]}"
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id}, headers={"X-Request-ID": request_id})
    assert placed.headers["X-Request-ID"] == request_id
    flow.wait_for_ticket(buyer, ticket_id, "reserved", 1)
    chain = _chain(db, request_id)
    created, reserved = chain["orders.order_created.v1"], chain["tickets.ticket_updated.v1"]
    assert created["payload"]["causation_id"] is None  # a request started it
    assert reserved["payload"]["causation_id"] == created["_id"]  # tickets reacted to orders' event
    assert reserved["payload"]["status"] == "reserved"

    result = app.test_cli_runner().invoke(args=["events", "trace", placed.get_json()["id"]])
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    order_line = next(i for i, line in enumerate(lines) if "orders.order_created.v1" in line)
    ticket_line = next(i for i, line in enumerate(lines) if "tickets.ticket_updated.v1" in line)
    assert order_line < ticket_line  # oldest first
    assert "started by a request or timer" in lines[order_line] and request_id in lines[order_line]
    assert f"caused by orders.order_created.v1 {created['_id'][:8]}" in lines[ticket_line]
    assert any("app.tickets.handlers.reserve_for_new_order: applied" in line for line in lines)
    assert any("app.payments.handlers.on_order_created: applied" in line for line in lines)


def test_a_timer_starts_a_chain_of_its_own(app, db):
    seller, _ = user_client(app)
    ticket_id = seller.post("/api/tickets", json={"title": "Ballet", "price": 25}).get_json()["id"]
    drain(app)
    app.config["ORDER_EXPIRATION_SECONDS"] = 0
    with app.app_context():
        order_id = str(orders.place_order(str(ObjectId()), ticket_id).id)
        assert orders.expire_order(order_id)
        drain(app)
    cancelled = db.platform_outbox.find_one({"type": "orders.order_cancelled.v1", "aggregate_id": order_id})
    created = db.platform_outbox.find_one({"type": "orders.order_created.v1", "aggregate_id": order_id})
    assert cancelled["payload"]["causation_id"] is None
    assert cancelled["payload"]["correlation_id"] not in (None, created["payload"]["correlation_id"])
    released = db.platform_outbox.find_one({"payload.causation_id": cancelled["_id"]})
    assert released["type"] == "tickets.ticket_updated.v1" and released["payload"]["status"] == "available"
    assert released["payload"]["correlation_id"] == cancelled["payload"]["correlation_id"]


def test_trace_of_an_unknown_id_says_so(app):
    result = app.test_cli_runner().invoke(args=["events", "trace", str(ObjectId())])
    assert result.exit_code == 0 and "no events about" in result.output
    result = app.test_cli_runner().invoke(args=["events", "trace", '{"$ne": null}'])
    assert "no events about" in result.output


def test_json_log_lines_parse_and_carry_the_request_and_the_event(base_env, out_dir):
    env = env_for(base_env, LOG_FORMAT="json", LOG_LEVEL="DEBUG", HUEY_NAME=f"probe-{uuid.uuid4().hex[:8]}")
    probe = subprocess.run([sys.executable, "-m", "tests.integration.platform.logs_probe"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    records = [json.loads(line) for line in probe.stderr.splitlines() if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    request_line = next(r for r in records if r["logger"] == "app.requests" and "/api/tickets" in r["message"])
    assert request_line["request_id"] == "probe-request-1" and request_line["level"] == "INFO"
    assert request_line["user_id"]
    handled = next(r for r in records if r["message"].startswith("applied tickets.ticket_created.v1"))
    assert handled["level"] == "DEBUG" and handled["event_type"] == "tickets.ticket_created.v1"
    assert handled["correlation_id"] == "probe-request-1" and handled["event_id"]


def test_logs_are_quiet_by_default(base_env):
    env = env_for(base_env, LOG_LEVEL="INFO", HUEY_NAME=f"probe-{uuid.uuid4().hex[:8]}")
    probe = subprocess.run([sys.executable, "-m", "tests.integration.platform.logs_probe"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    lines = [line for line in probe.stderr.splitlines() if line.strip()]
    # One line per request, no line per task or per event handled.
    assert len([line for line in lines if "app.requests" in line]) == 1
    assert not [line for line in lines if "huey" in line or "applied tickets" in line]
