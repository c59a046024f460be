"""Sell-out: 1,000 buyers with their own accounts race for 100 tickets through the JSON API.

Ceiling: the raw rate, on the same server, of one pymongo transaction doing the writes of `place_order` (read the
ticket replica, insert the order under the one-active-order index, insert the outbox event).
"""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from bson import ObjectId
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from .common import (
    best_rate,
    create_accounts,
    find_in,
    ms,
    percentile,
    ratio,
    record,
    report,
    session_cookies,
)

TARGET = 0.4


def _list_sale(store, count):
    from app.tickets.services import create_ticket

    app = store.app()
    sellers = create_accounts(app, "sellout-seller", 10)

    def create(i):
        with app.app_context():
            return str(create_ticket(str(sellers[i % 10].id), f"Sell-out gig, seat {i}", "99.00").id)

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(create, range(count)))
    # Buyers reserve through orders' replica: wait until orders knows every ticket.
    db = store.db()
    deadline = time.monotonic() + 120
    while len(find_in(db.orders_tickets, "_id", ids, None, {"_id": 1})) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("orders never learnt about the sell-out tickets")
        time.sleep(0.2)
    return ids


async def _race(base, cookies, ticket_ids, connections):
    results = [None] * len(cookies)
    gate = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        async def buy(i):
            await gate.wait()
            ticket_id = ticket_ids[i % len(ticket_ids)]
            started = time.perf_counter()
            try:
                async with http.post(f"{base}/api/orders", json={"ticketId": ticket_id},
                                     headers={"Cookie": f"session={cookies[i]}"}) as response:
                    body = await response.json(content_type=None)
                    status = response.status
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                status, body = None, repr(exc)
            results[i] = (status, body, time.perf_counter() - started, ticket_id)

        tasks = [asyncio.create_task(buy(i)) for i in range(len(cookies))]
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return results, elapsed


def ceiling(store, seconds=3.0, threads=(1, 4)):
    """Return the best rate (tx/s) of raw pymongo transactions doing place_order's writes, and each measurement."""
    db = store.db()
    client = db.client
    orders, outbox = db.bench_ceiling_orders, db.bench_ceiling_outbox
    orders.create_index([("ticket_id", ASCENDING)], unique=True, partialFilterExpression={"active": True})
    replica = db.orders_tickets.find_one()

    def place_order_writes():
        try:
            with client.start_session() as session, session.start_transaction():
                db.orders_tickets.find_one({"_id": replica["_id"]}, session=session)
                oid = ObjectId()
                orders.insert_one({"_id": oid, "ticket_id": str(oid), "user_id": "u", "active": True,
                                   "status": "created", "version": 0, "ticket": dict(replica)}, session=session)
                outbox.insert_one({"_id": oid.binary.hex(), "type": "orders.order_created.v1",
                                   "payload": {"id": str(oid)}, "relayed": False}, session=session)
        except (PyMongoError, DuplicateKeyError):
            return False  # a transaction refused for contention: not counted
        return True

    try:
        return best_rate(place_order_writes, seconds, threads)
    finally:
        orders.drop()
        outbox.drop()


def run(store, buyers=1000, tickets=100, connections=100):
    """Race the buyers for the tickets; check the outcome; print and record the figures."""
    app = store.app()
    ticket_ids = _list_sale(store, tickets)
    users = create_accounts(app, "buyer", buyers)
    cookies = session_cookies(app, users)
    store.settle()
    raw, raw_by_threads = ceiling(store)  # on the quiet server, just before the race
    results, elapsed = asyncio.run(_race(store.base, cookies, ticket_ids, connections))
    store.settle()

    won = [r for r in results if r[0] == 201]
    lost = [r for r in results if r[0] != 201]
    clean_losers = [r for r in lost if r[0] == 400 and isinstance(r[1], dict)
                    and r[1].get("errors", [{}])[0].get("message") == "Ticket is already reserved"]
    db = store.db()
    active_orders = find_in(db.orders_orders, "ticket_id", ticket_ids, {"active": True}, {"ticket_id": 1})
    per_ticket = {}
    for order in active_orders:
        per_ticket[order["ticket_id"]] = per_ticket.get(order["ticket_id"], 0) + 1
    doubles = [t for t, n in per_ticket.items() if n > 1]
    active = len(active_orders)
    statuses = {}
    for r in lost:
        statuses[str(r[0])] = statuses.get(str(r[0]), 0) + 1
    latencies = [r[2] for r in results]
    attempts_rate = len(results) / elapsed
    checks = {
        "exactly_100_successful_orders": len(won) == tickets and active == tickets,
        "no_ticket_in_two_active_orders": not doubles,
        "every_loser_a_clean_400": len(clean_losers) == len(lost),
    }
    figures = {
        "buyers": buyers, "tickets": tickets, "client_connections": connections, "seconds": round(elapsed, 2),
        "requests_per_s": round(attempts_rate, 1), "orders_per_s": round(len(won) / elapsed, 1),
        "p50_ms": ms(percentile(latencies, 50)), "p99_ms": ms(percentile(latencies, 99)),
        "successful": len(won), "active_orders_in_db": active, "loser_statuses": statuses,
        "checks": checks, "ceiling_raw_tx_per_s": raw, "ceiling_by_threads": raw_by_threads,
        "ratio_to_ceiling": ratio(attempts_rate, raw), "target_ratio": TARGET,
    }
    report(f"sell-out ({buyers} buyers, {tickets} tickets, {connections} client connections)", [
        ("requests (each a transaction)", f"{attempts_rate:.1f} /s over {elapsed:.2f} s"),
        ("successful orders", f"{len(won)} ({len(won) / elapsed:.1f} orders/s)"),
        ("latency", f"p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms"),
        ("loser statuses", statuses),
        ("ceiling (raw place_order tx)", f"{raw} tx/s  {raw_by_threads} by client threads"),
        ("ratio to ceiling", (f"{figures['ratio_to_ceiling']:.0%}  (target >= {TARGET:.0%}: "
                             f"{'met' if (figures['ratio_to_ceiling'] or 0) >= TARGET else 'MISSED'})")),
        *[(f"check: {k}", "ok" if v else "FAILED") for k, v in checks.items()],
    ])
    record("sellout", figures)
    return figures
