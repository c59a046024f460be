"""Indexes of the catalogue (tickets context): dated events and the searches buyers make; tickets listed before
events existed get their search fields.

Each query shape and the index a real MongoDB answers it from (equality, then sort, then range):
- upcoming events, soonest first, optionally within `from`/`to` or venue days: `upcoming_soonest_first`
  {starts_at, _id} — the range on starts_at and the sort in one index scan, no in-memory sort;
- upcoming events in a city: `by_city_soonest_first` {city_key, starts_at, _id};
- upcoming events matching words (`keywords: {$all: [...]}`): `events_by_keyword` {keywords, starts_at} (multikey;
  the bounds come from the first word, the others and the start are checked on the index keys);
- tickets for sale, newest first: `for_sale_newest_first` {status, created_at -1, _id -1} (0003), the sale window
  (`on_sale_until > now`) checked on the fetched documents; their count (`X-Total-Count`): `for_sale_by_date`;
- tickets for sale by price (`sort=price`/`-price`, `minPrice`/`maxPrice`): `for_sale_by_price` {status, price, _id};
- tickets for sale by event start (`sort=date`): `for_sale_by_date` {status, on_sale_until, _id};
- tickets matching words: `tickets_by_keyword` {keywords, status} (multikey), then sorted in memory (a word's matches);
- one event's tickets (its page, `eventId`, and the event's summary rewritten when one of them changes):
  `tickets_by_event` {event_id} — a single field on purpose: the embedded server (mongoeco 4.11) answers a single
  equality from its own entries for it, so that read is an index seek on both servers and the rest is filtered in
  the application.

On the embedded server, mongoeco builds a SQLite index for each of these but plans a query from them only when it is a
single equality or range on a single-field index with no sort; its engine here (app/platform/embedded/ordered.py)
reads the shapes above from the same compound indexes as MongoDB — equalities and the range as index seeks, the sort
as the index's order, counts from the index alone — wherever that provably gives mongoeco's answer. The words
(`keywords`) are still matched per document there, over what the other conditions select: mongoeco keeps array
elements only for single-field indexes. They are matched with `$all` over stored prefixes rather than `$text` or
`$regex`, which mongoeco runs in Python; the shared listings are also served from the read cache
(app/platform/freshness.py).
"""

from pymongo import ASCENDING

CONTEXT = "tickets"
OPEN_ENDED_SALE = "9999-12-31T00:00:00+00:00"


def upgrade(db):
    """Create the catalogue's indexes and give tickets listed without an event their search fields."""
    from datetime import datetime

    from app.tickets.search import keywords

    events = db.tickets_events
    events.create_index([("starts_at", ASCENDING), ("_id", ASCENDING)], name="upcoming_soonest_first")
    events.create_index([("city_key", ASCENDING), ("starts_at", ASCENDING), ("_id", ASCENDING)],
                        name="by_city_soonest_first")
    events.create_index([("keywords", ASCENDING), ("starts_at", ASCENDING)], name="events_by_keyword")

    tickets = db.tickets_tickets
    tickets.create_index([("status", ASCENDING), ("price", ASCENDING), ("_id", ASCENDING)], name="for_sale_by_price")
    tickets.create_index([("status", ASCENDING), ("on_sale_until", ASCENDING), ("_id", ASCENDING)],
                         name="for_sale_by_date")
    tickets.create_index([("keywords", ASCENDING), ("status", ASCENDING)], name="tickets_by_keyword")
    tickets.create_index([("event_id", ASCENDING)], name="tickets_by_event")

    open_ended = datetime.fromisoformat(OPEN_ENDED_SALE)
    for ticket in tickets.find({"on_sale_until": {"$exists": False}}, {"title": 1}):
        tickets.update_one({"_id": ticket["_id"]}, {"$set": {
            "event_id": None, "on_sale_until": open_ended, "keywords": keywords(ticket.get("title", ""))}})
