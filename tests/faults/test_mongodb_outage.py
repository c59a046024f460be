"""Stop the MongoDB server during requests: fast 503s, /readyz names it, and the app recovers by itself."""

import os
import signal
import time

import pytest

from tests.servers import wait_until

# A request may wait for its transaction's deadline (TRANSACTION_DEADLINE_SECONDS=2 here) or one server selection
# (MONGODB_TIMEOUT_MS=1000), never for a socket timeout or forever. The slack covers a busy 2-core machine.
FAST = 4.0


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _sell(client, title):
    return client.post("/api/tickets", json={"title": title, "price": 10})


@pytest.mark.parametrize("outage", ["frozen", "killed"])
def test_requests_fail_fast_while_mongodb_is_down_and_the_app_recovers_by_itself(outage, private_app, private_mongo,
                                                                                  worker_factory):
    env = private_app.config["test_env"]
    worker_factory(**{k: env[k] for k in ("MONGODB_URI", "HUEY_NAME", "MONGODB_TIMEOUT_MS",
                                          "TRANSACTION_DEADLINE_SECONDS")})
    client = private_app.test_client()
    assert client.post("/api/users/signup", json={"email": "seller@faults.example",
                                                  "password": "long-enough-1"}).status_code == 201
    sold = [_sell(client, f"Before the outage {i}").json["id"] for i in range(3)]

    if outage == "frozen":
        os.kill(private_mongo.proc.pid, signal.SIGSTOP)  # up but silent: connections open, nothing answers
    else:
        private_mongo.proc.kill()  # gone: nothing listens on the port
    try:
        for call in (lambda: _sell(client, "During the outage"), lambda: client.get("/api/tickets"),
                     lambda: client.get(f"/api/tickets/{sold[0]}")):
            response, took = _timed(call)
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.json["errors"][0]["message"].startswith("The database is")
            assert took < FAST, f"a request took {took:.1f}s while the database was down"
        ready, took = _timed(lambda: client.get("/readyz"))
        assert ready.status_code == 503 and took < FAST
        assert any("mongodb" in e["message"] for e in ready.json["errors"])
    finally:
        if outage == "frozen":
            os.kill(private_mongo.proc.pid, signal.SIGCONT)
        else:
            private_mongo.start()  # same port, same data file

    # No restart of the app or the worker: the next requests simply work again.
    wait_until(lambda: client.get("/readyz").status_code == 200, timeout=15, message="readiness to come back")
    response = wait_until(lambda: (r := _sell(client, "After the outage")).status_code == 201 and r, timeout=15,
                          message="a write to succeed again")
    sold.append(response.json["id"])
    # Every committed event still reaches its handler: orders learns about every ticket sold before and after.
    db = private_app.extensions["mongo"].db
    wait_until(lambda: db.orders_tickets.count_documents({"_id": {"$in": sold}}) == len(sold), timeout=30,
               message="orders to learn about every committed ticket")
    assert db.platform_deliveries.count_documents({"status": "dead"}) == 0
