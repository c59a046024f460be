"""Expiry: orders placed to expire 2–5 s from now; how late the worker cancels them (timer or sweep).

The orders are placed through orders' own `place_order` in this process with ORDER_EXPIRATION_SECONDS=2 (the running
store keeps its 15 minutes, so the other benchmarks' orders never expire mid-race); their timers go to the store's
Huey queue and its worker runs them. Lateness = the OrderCancelled event's commit time − the order's expiresAt.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from app.platform.documents import utcnow as _utcnow

from .common import agreement, create_accounts, find_in, histogram_delta, ms, percentile, record, report, scrape

TARGET_P99 = 2.0


def _available_replicas(db, count):
    # Not a ticket whose event starts while the benchmark runs (the demo catalogue has one starting minutes after
    # the store does): orders refuses those, as it must.
    on_sale = {"$or": [{"starts_at": None}, {"starts_at": {"$gt": _utcnow() + timedelta(hours=1)}}]}
    ids = [d["_id"] for d in db.orders_tickets.find({"status": "available", **on_sale}, {"_id": 1}, limit=count * 2)]
    active = {d["ticket_id"] for d in find_in(db.orders_orders, "ticket_id", ids, {"active": True}, {"ticket_id": 1})}
    return [i for i in ids if i not in active][:count]


def _list_tickets(store, count):
    from app.tickets.services import create_ticket

    app = store.app()
    sellers = create_accounts(app, "expiry-seller", 5)

    def create(i):
        with app.app_context():
            return create_ticket(str(sellers[i % 5].id), f"Expiry show #{i}", "30.00")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(count)))
    store.settle(timeout=300)


def run(store, orders=300, window=3.0, threads=4):
    """Place `orders` orders spread over `window` seconds, each expiring 2 s after it is placed; measure lateness."""
    from app.orders.services import place_order

    app = store.app()
    db = store.db()
    ticket_ids = _available_replicas(db, orders)
    if len(ticket_ids) < orders:
        _list_tickets(store, orders - len(ticket_ids))
        ticket_ids = _available_replicas(db, orders)
    # Enough buyers that none of them holds more reservations at once than the store allows one buyer.
    buyers = create_accounts(app, "expiry-buyer", max(10, -(-orders // app.config["MAX_ACTIVE_ORDERS_PER_BUYER"])))
    store.settle()
    before = scrape(store)
    saved = app.config["ORDER_EXPIRATION_SECONDS"]
    app.config["ORDER_EXPIRATION_SECONDS"] = 2
    started = time.monotonic()

    def place(i):
        # Pace the orders so their deadlines spread over the window instead of landing in one instant.
        delay = started + window * i / orders - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        with app.app_context():
            return place_order(str(buyers[i % len(buyers)].id), ticket_ids[i])

    try:
        with ThreadPoolExecutor(threads) as pool:
            placed = list(pool.map(place, range(orders)))
    finally:
        app.config["ORDER_EXPIRATION_SECONDS"] = saved
    placing = time.monotonic() - started
    ids = [str(o.id) for o in placed]
    expires = {str(o.id): o.expires_at for o in placed}
    deadline = time.monotonic() + 120
    while True:
        cancelled = find_in(db.platform_outbox, "aggregate_id", ids, {"type": "orders.order_cancelled.v1"},
                            {"aggregate_id": 1, "created_at": 1, "payload.reason": 1})
        if len(cancelled) >= orders or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    lateness = [(c["created_at"] - expires[c["aggregate_id"]]).total_seconds() for c in cancelled]
    # The worker's own account of the same expiries, read from /metrics (ticketing_order_expiry_lateness_seconds).
    observed, metric_mean = histogram_delta(before, scrape(store), "ticketing_order_expiry_lateness_seconds")
    own_mean = sum(lateness) / len(lateness) if lateness else None
    agrees = observed == len(cancelled) and agreement(own_mean, metric_mean)
    reasons = {}
    for c in cancelled:
        reason = c.get("payload", {}).get("reason")
        reasons[reason] = reasons.get(reason, 0) + 1
    first, last = min(expires.values()), max(expires.values())
    figures = {
        "orders": orders, "placing_seconds": round(placing, 2),
        "expiry_spread_seconds": [2.0, round(2.0 + (last - first).total_seconds(), 2)],
        "cancelled": len(cancelled), "reasons": reasons,
        "lateness_p50_ms": ms(percentile(lateness, 50)), "lateness_p99_ms": ms(percentile(lateness, 99)),
        "lateness_max_ms": ms(max(lateness) if lateness else None), "target_p99_s": TARGET_P99,
        "metrics_observed": observed, "metrics_lateness_mean_ms": ms(metric_mean), "own_lateness_mean_ms": ms(own_mean),
        "metrics_agree": agrees,
    }
    met = figures["lateness_p99_ms"] is not None and figures["lateness_p99_ms"] <= TARGET_P99 * 1000
    report(f"expiry ({orders} orders expiring {figures['expiry_spread_seconds'][0]}–"
           f"{figures['expiry_spread_seconds'][1]} s after the first was placed)", [
        ("placed", f"{orders} in {placing:.1f} s"),
        ("cancelled", f"{len(cancelled)} / {orders}  {reasons}"),
        ("lateness", (f"p50 {figures['lateness_p50_ms']} ms  p99 {figures['lateness_p99_ms']} ms  "
                     f"max {figures['lateness_max_ms']} ms")),
        ("target", f"p99 <= {TARGET_P99:.0f} s: {'met' if met else 'MISSED'}"),
        ("/metrics", (f"{observed} expiries, mean lateness {figures['metrics_lateness_mean_ms']} ms vs own "
                      f"{figures['own_lateness_mean_ms']} ms: {'agree' if agrees else 'DISAGREE'}")),
    ])
    record("expiry", figures)
    return figures
