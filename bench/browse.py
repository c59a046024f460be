"""Browse: the catalogue with 10,000 tickets over 500 events — GET /, GET /api/events?q=<word> and
GET /api/tickets?eventId=… against GET /healthz on the same server (wrk), and the latency of
GET /api/tickets?q=<word>&sort=price, both asked once per word (each answer computed) and repeated (from the copy)."""

import random
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from .common import create_accounts, ms, percentile, ratio, record, report, wrk

EVENTS = 500
TICKETS = 10_000
TARGET = 0.5
ARTISTS = ["Aurora", "Basement", "Cobalt", "Daybreak", "Ember", "Falcon", "Granite", "Harbour", "Indigo", "Juniper",
           "Kestrel", "Lantern", "Meridian", "Nightjar", "Orchid", "Paragon", "Quartz", "Riverside", "Saffron",
           "Thunder", "Umber", "Velvet", "Willow", "Xenon", "Yarrow", "Zephyr"]
KINDS = ["Quartet", "Orchestra", "Collective", "Live", "Trio", "Revue", "Sessions", "Ensemble", "Choir", "Band"]
VENUES = ["Arena", "Hall", "Theatre", "Club", "Stadium", "Amphitheatre", "Ballroom", "Warehouse"]
CITIES = ["London", "Paris", "Berlin", "New York", "Madrid", "Rome", "Lisbon", "Dublin", "Vienna", "Oslo",
          "Prague", "Chicago", "Toronto", "Sydney", "Tokyo", "Seoul", "Austin", "Denver", "Boston", "Seattle"]
WORDS = [artist.lower() for artist in ARTISTS]


def build_catalogue(store, events=EVENTS, tickets=TICKETS):
    """Announce `events` events over the coming months and list `tickets` tickets for them through the tickets
    services; return the event ids (nothing is added when the store already has them)."""
    from app.tickets.models import Show, Ticket
    from app.tickets.services import create_ticket
    from app.tickets.shows import create_event

    app = store.app()
    with app.app_context():
        have = [str(s.id) for s in Show.objects(name__startswith="Bench ").only("id")]
        if len(have) >= events and Ticket.objects(event_id__in=have).count() >= tickets:
            return have
    rng = random.Random(15)
    organisers = create_accounts(app, "organiser", 10)
    sellers = create_accounts(app, "seller", 20)
    now = datetime.now(UTC)

    def announce(i):
        name = f"Bench {rng.choice(ARTISTS)} {rng.choice(KINDS)} {i}"
        venue = f"{rng.choice(ARTISTS)} {rng.choice(VENUES)}"
        start = (now + timedelta(days=1 + i % 180, hours=i % 7)).isoformat()
        with app.app_context():
            return str(create_event(str(organisers[i % 10].id), name, venue, rng.choice(CITIES), start).id)

    def sell(i):
        with app.app_context():
            return create_ticket(str(sellers[i % 20].id), f"Row {i % 40}, seat {i % 25}", f"{20 + i % 180}.50",
                                 ids[i % len(ids)])

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(announce, range(events)))
        list(pool.map(sell, range(tickets)))
    print(f"  catalogue: {events} events, {tickets} tickets listed in {time.monotonic() - started:.0f} s", flush=True)
    store.settle(timeout=900)
    return ids


def _get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - started


def search_latency(base, words):
    """Return (per word asked once: every answer computed; one word asked again and again: from the copy) as
    {p50_ms, p95_ms, max_ms, requests} of GET /api/tickets?q=<word>&sort=price."""
    def url(word):
        return f"{base}/api/tickets?{urlencode({'q': word, 'sort': 'price'})}"

    cold = [_get(url(word)) for word in words]
    warm = [_get(url(words[0])) for _ in range(200)]
    return [{"p50_ms": ms(percentile(xs, 50)), "p95_ms": ms(percentile(xs, 95)), "max_ms": ms(max(xs)),
             "requests": len(xs)} for xs in (cold, warm)]


def plans(store, event_id, word):
    """Return {shape: what the server's planner does} for each query shape of the catalogue (explain())."""
    from app.tickets.queries import EVENT_ORDER, TICKET_ORDER

    db, now = store.db(), datetime.now(UTC)
    for_sale = {"status": "available", "on_sale_until": {"$gt": now}}
    shapes = {
        "events upcoming": ("tickets_events", {"starts_at": {"$gt": now}}, EVENT_ORDER),
        "events q": ("tickets_events", {"starts_at": {"$gt": now}, "keywords": {"$all": [word]}}, EVENT_ORDER),
        "events city": ("tickets_events", {"starts_at": {"$gt": now}, "city_key": "london"}, EVENT_ORDER),
        "tickets newest": ("tickets_tickets", for_sale, TICKET_ORDER["-created"]),
        "tickets q price": ("tickets_tickets", for_sale | {"keywords": {"$all": [word]}}, TICKET_ORDER["price"]),
        "tickets price range": ("tickets_tickets", for_sale | {"price": {"$gte": 5000, "$lte": 9000}},
                                TICKET_ORDER["price"]),
        "tickets date": ("tickets_tickets", for_sale, TICKET_ORDER["date"]),
        "tickets of an event": ("tickets_tickets", {"event_id": event_id}, None),
    }
    out = {}
    for shape, (collection, spec, sort) in shapes.items():
        explained = db[collection].find(spec, sort=sort, limit=20).explain()
        details = explained.get("details") or {}
        out[shape] = details.get("engine_details") or explained.get("queryPlanner", {}).get("winningPlan")
    return out


def run(store, seconds=10, connections=8, events=EVENTS, tickets=TICKETS):
    """Measure the catalogue's reads against /healthz; print and record the figures.

    8 connections = the store's 2 gunicorn workers x 4 threads. With more connections than threads, gunicorn's gthread
    worker parks keep-alive connections and every URL, /healthz included, falls to a ~900 req/s plateau at ~35 ms.
    """
    ids = build_catalogue(store, events, tickets)
    base = store.base
    word = "meridian"
    event_id = ids[len(ids) // 2]
    paths = {"ceiling_healthz": "/healthz", "home": "/", "api_events_q": f"/api/events?q={word}",
             "api_tickets_event": f"/api/tickets?eventId={event_id}"}
    for path in paths.values():
        wrk(base + path, seconds=2, connections=connections)  # warm-up: imports, template compile, pools
    results = {key: wrk(base + path, seconds=seconds, connections=connections) for key, path in paths.items()}
    ceiling = results["ceiling_healthz"]["rps"]
    cold, warm = search_latency(base, [*WORDS, *(w[:3] for w in WORDS)])
    explained = plans(store, event_id, word)
    figures = {"events": events, "tickets": tickets, "seconds_per_url": seconds, "connections": connections,
               "paths": paths, "target_ratio": TARGET, "search_price_cold": cold, "search_price_warm": warm,
               "plans": explained}
    for key, result in results.items():
        figures[key] = result if key == "ceiling_healthz" else result | {"ratio_to_ceiling": ratio(result["rps"],
                                                                                                   ceiling)}
    rows = []
    for key, path in paths.items():
        r = figures[key]
        extra = f"  = {r['ratio_to_ceiling']:.0%} of ceiling" if "ratio_to_ceiling" in r else "  (ceiling)"
        rows.append((f"GET {path}"[:48], f"{r['rps']:8.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
                                         f"errors {r['errors']}{extra}"))
    rows.append(("GET /api/tickets?q=<word>&sort=price", f"p95 {cold['p95_ms']} ms computed ({cold['requests']} words, "
                                                         f"p50 {cold['p50_ms']}), p95 {warm['p95_ms']} ms repeated"))
    met = all((figures[key]["ratio_to_ceiling"] or 0) >= TARGET for key in ("home", "api_events_q",
                                                                           "api_tickets_event"))
    rows.append(("target", f"each >= {TARGET:.0%} of ceiling: {'met' if met else 'MISSED'}"))
    for shape, plan in explained.items():
        rows.append((f"plan: {shape}", "; ".join(plan) if isinstance(plan, list) else str(plan)[:200]))
    report(f"browse ({tickets} tickets over {events} events, wrk {connections} connections, {seconds}s per URL)",
           rows)
    record("browse", figures)
    return figures
