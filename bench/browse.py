"""Browse: GET / and GET /api/tickets with 200 tickets listed, against GET /healthz on the same server (wrk)."""

from concurrent.futures import ThreadPoolExecutor

from .common import create_accounts, ratio, record, report, wrk

TICKETS = 200
TARGET = 0.5


def list_tickets(store, total):
    """List tickets through the tickets service until `total` are available; return how many were added."""
    from app.tickets.models import Ticket
    from app.tickets.services import create_ticket

    app = store.app()
    with app.app_context():
        have = Ticket.objects(status="available").count()
    missing = max(total - have, 0)
    if not missing:
        return 0
    sellers = create_accounts(app, "seller", 10)

    def create(i):
        with app.app_context():
            return create_ticket(str(sellers[i % len(sellers)].id), f"Bench concert #{i}", f"{20 + i % 80}.50")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(missing)))
    store.settle()
    return missing


def run(store, seconds=10, connections=8):
    """Measure the home page and the tickets API against /healthz; print and record the figures.

    8 connections = the store's 2 gunicorn workers x 4 threads. With more connections than threads, gunicorn's gthread
    worker parks keep-alive connections and every URL, /healthz included, falls to a ~900 req/s plateau at ~35 ms.
    """
    list_tickets(store, TICKETS)
    base = store.base
    for path in ("/healthz", "/", "/api/tickets"):
        wrk(base + path, seconds=2, connections=connections)  # warm-up: imports, template compile, pools
    results = {path: wrk(base + path, seconds=seconds, connections=connections)
               for path in ("/healthz", "/", "/api/tickets")}
    ceiling = results["/healthz"]["rps"]
    figures = {
        "tickets_listed": TICKETS, "seconds_per_url": seconds, "connections": connections,
        "ceiling_healthz": results["/healthz"],
        "home": results["/"] | {"ratio_to_ceiling": ratio(results["/"]["rps"], ceiling)},
        "api_tickets": results["/api/tickets"] | {"ratio_to_ceiling": ratio(results["/api/tickets"]["rps"], ceiling)},
        "target_home_ratio": TARGET,
    }
    rows = []
    for label, key in (("GET /healthz (ceiling)", "ceiling_healthz"), ("GET /", "home"),
                       ("GET /api/tickets", "api_tickets")):
        r = figures[key]
        extra = f"  = {r['ratio_to_ceiling']:.0%} of ceiling" if "ratio_to_ceiling" in r else ""
        rows.append((label, (f"{r['rps']:8.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
                            f"errors {r['errors']}{extra}")))
    met = (figures["home"]["ratio_to_ceiling"] or 0) >= TARGET
    rows.append(("target", f"home >= {TARGET:.0%} of ceiling: {'met' if met else 'MISSED'}"))
    report(f"browse ({TICKETS} tickets, wrk {connections} connections, {seconds}s per URL)", rows)
    record("browse", figures)
    return figures
