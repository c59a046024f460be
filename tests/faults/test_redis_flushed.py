"""Flush Redis with expiry timers pending: the orders sweep still expires every overdue order."""

import os
import uuid

import pytest
import redis
from bson import ObjectId

from app import activate, create_app
from app.auth.services import register_user
from app.orders.services import place_order
from app.tickets.services import create_ticket
from tests.servers import wait_until

# A Redis database of its own: FLUSHDB here must not touch the queues of the tests sharing db 0.
FAULTS_REDIS_URL = os.environ.get("TEST_FAULTS_REDIS_URL", "redis://127.0.0.1:6379/13")
ORDERS = 5


@pytest.fixture
def flushable(app, base_env, worker_factory):
    """Return (app, worker env) on a Redis database and queue name that only this test uses."""
    env = dict(base_env, REDIS_URL=FAULTS_REDIS_URL, HUEY_NAME=f"ticketing-flush-{uuid.uuid4().hex[:8]}",
               ORDER_EXPIRATION_SECONDS="4")
    own = create_app(env | {"TESTING": True})
    worker_factory(**{k: env[k] for k in ("REDIS_URL", "HUEY_NAME", "ORDER_EXPIRATION_SECONDS")})
    yield own
    redis.Redis.from_url(FAULTS_REDIS_URL).flushdb()
    activate(app)


def test_flushed_redis_loses_the_timers_but_the_sweep_expires_every_order(flushable, db):
    with flushable.app_context():
        seller = register_user("seller@flush.example", "long-enough-1")
        tickets = [str(create_ticket(str(seller.id), f"Flushed gig {i}", "25.00").id) for i in range(ORDERS)]
    wait_until(lambda: db.orders_tickets.count_documents({"_id": {"$in": tickets}}) == ORDERS, timeout=20,
               message="orders to learn the tickets")
    with flushable.app_context():
        orders = [str(place_order(f"buyer-{i}", ticket).id) for i, ticket in enumerate(tickets)]
    huey = flushable.extensions["huey"]

    def timers():
        # Huey passes a task with an eta through the queue to the schedule: a timer is in one or the other (or, for
        # an instant, in the consumer's hands between the two).
        return [t for t in [*huey.pending(), *huey.scheduled()] if t.name == "expire_order_task"]

    wait_until(lambda: len(timers()) == ORDERS, timeout=2, message="one pending timer per order, none due yet")

    redis.Redis.from_url(FAULTS_REDIS_URL).flushdb()  # Redis keeps nothing on disk: a restart is this
    assert timers() == []

    def all_expired():
        return db.orders_orders.count_documents({"_id": {"$in": [ObjectId(o) for o in orders]},
                                                "status": "cancelled", "cancel_reason": "expired"}) == ORDERS

    wait_until(all_expired, timeout=20, message="the sweep to expire every order whose timer was flushed")
    # The tickets go back on sale through the cancellation events, as if the timers had fired.
    wait_until(lambda: db.tickets_tickets.count_documents({"status": "available", "_id": {"$in": [
        ObjectId(t) for t in tickets]}}) == ORDERS, timeout=20,
               message="the tickets to be for sale again")
