"""Read-only queries of the tickets context, for the API and the pages (no unit of work needed).

The time rule lives here: an event that has started is over for the marketplace, so its tickets are never listed and
it is never offered as upcoming. Listings shared by every visitor are served from read caches kept fresh by the
tickets' events; as a listing also changes when an event starts, with no write to announce it, each cached listing
is keyed by the next start to come and so stops being used the moment that event starts.
"""

from bson import ObjectId

from app.platform.documents import as_utc, utcnow
from app.platform.freshness import cached
from app.platform.mongo import count

from . import etickets
from .errors import ETicketNotFoundError, EventNotFoundError, TicketNotFoundError
from .models import AVAILABLE, RESERVED, USED, VALID, ETicket, Sale, Show, Ticket
from .params import EventQuery, MineQuery, TicketQuery

TICKET_ORDER = {
    "-created": [("created_at", -1), ("_id", -1)],
    "price": [("price", 1), ("_id", 1)],
    "-price": [("price", -1), ("_id", -1)],
    "date": [("on_sale_until", 1), ("_id", 1)],
}
EVENT_ORDER = [("starts_at", 1), ("_id", 1)]


class Page(list):
    """One page of a listing: its items, and how many items the whole listing has."""

    def __init__(self, items, total):
        super().__init__(items)
        self.total = total


def find_ticket(ticket_id):
    """Return the ticket with this id, or raise TicketNotFoundError; a malformed id is not found either."""
    ticket = Ticket.objects(id=ObjectId(ticket_id)).first() if ObjectId.is_valid(ticket_id) else None
    if ticket is None:
        raise TicketNotFoundError()
    return ticket


def find_event(event_id):
    """Return the event with this id (also once it started), or raise EventNotFoundError (also for a malformed id)."""
    show = Show.objects(id=ObjectId(event_id)).first() if isinstance(event_id, str) and ObjectId.is_valid(
        event_id) else None
    if show is None:
        raise EventNotFoundError()
    return show


def events_by_id(event_ids):
    """Return {id: event} for the given event ids (unknown ones are left out)."""
    ids = {ObjectId(i) for i in event_ids if i and ObjectId.is_valid(i)}
    return {str(show.id): show for show in Show.objects(id__in=list(ids))} if ids else {}


def has_started(show, now=None):
    """Return whether the event has started (the time rule: its tickets are no longer sold)."""
    return as_utc(show.starts_at) <= (now or utcnow())


def listing(key, compute):
    """Return compute(now), shared through the read cache until a tickets event commits or the next event start after
    `now` passes (the time rule changes a listing with no write to announce it)."""
    def fill():
        now = utcnow()
        return _first_start_after(now), compute(now)

    def fresh(copy):
        return copy[0] is None or copy[0] > utcnow()

    return cached("tickets", key, fill, fresh)[1]


def _first_start_after(now):
    show = Show.objects(starts_at__gt=now).order_by("starts_at", "id").only("starts_at").first()
    return None if show is None else as_utc(show.starts_at)


def upcoming_events(query: EventQuery, now=None):
    """Return a Page of the events that have not started, soonest first, matching the query."""
    now = now or utcnow()
    starts = {"$gt": now}
    if query.start_from:
        starts["$gte"] = query.start_from
    if query.start_to:
        starts["$lte"] = query.start_to
    spec = {"starts_at": starts}
    if query.city:
        spec["city_key"] = query.city
    if query.terms:
        spec["keywords"] = {"$all": list(query.terms)}
    days = {k: v for k, v in (("$gte", query.day_from), ("$lte", query.day_to)) if v}
    if days:
        spec["local_day"] = days
    return _page(Show, spec, EVENT_ORDER, query)


def available_tickets(query: TicketQuery = None, now=None):
    """Return a Page of the tickets a buyer can reserve now (available, event not started) matching the query."""
    query = query or TicketQuery()
    now = now or utcnow()
    if query.event_id:
        return _tickets_of_event(query, now)
    spec = {"status": AVAILABLE, "on_sale_until": {"$gt": now}}
    if query.terms:
        spec["keywords"] = {"$all": list(query.terms)}
    prices = {k: v for k, v in (("$gte", query.min_price), ("$lte", query.max_price)) if v is not None}
    if prices:
        spec["price"] = prices
    return _page(Ticket, spec, TICKET_ORDER[query.sort], query)


def _page(document_class, spec, order, query):
    # The page in index order (the embedded server reads it from the same compound index as MongoDB, see
    # migrations/0009_tickets.py), and the total from the `count` command.
    collection = document_class._get_collection()
    total = count(collection, spec)
    skip = (query.page - 1) * query.per_page
    rows = collection.find(spec, sort=order, skip=skip, limit=query.per_page) if skip < total else ()
    return Page([document_class._from_son(row) for row in rows], total)


def _tickets_of_event(query, now):
    # One event's tickets are a bounded set, fetched by the one index on event_id (on the embedded server a single
    # equality is the only shape its SQL indexes serve), then filtered and ordered here by the same rules as above.
    tickets = [t for t in Ticket.objects(event_id=query.event_id) if _matches(t, query, now)]
    field, direction = TICKET_ORDER[query.sort][0]
    tickets.sort(key=lambda t: (as_utc(getattr(t, field)) if field in ("created_at", "on_sale_until")
                                else getattr(t, field), t.id), reverse=direction < 0)
    skip = (query.page - 1) * query.per_page
    return Page(tickets[skip:skip + query.per_page], len(tickets))


def _matches(ticket, query, now):
    return (ticket.status == AVAILABLE and as_utc(ticket.on_sale_until) > now
            and all(term in ticket.keywords for term in query.terms)
            and (query.min_price is None or ticket.price >= query.min_price)
            and (query.max_price is None or ticket.price <= query.max_price))


def events_to_sell_for(terms=(), limit=50, now=None):
    """Return the soonest upcoming events a seller may list a ticket for, matching some words."""
    return upcoming_events(EventQuery(terms=tuple(terms), per_page=limit), now)


# --- e-tickets, and a user's own tickets -----------------------------------------------------------------------


def _read(document_class, **query):
    return document_class.objects(**query).first()


def eticket_of_holder(code, user_id):
    """Return the e-ticket with this code if `user_id` holds (or held) it, else raise ETicketNotFoundError."""
    eticket = _read(ETicket, code=code) if etickets.well_formed(code) else None
    if eticket is None or eticket.holder_id != user_id:
        raise ETicketNotFoundError()
    return eticket


def eticket_at_door(code, user_id, event_id=None):
    """Return the e-ticket with this code if `user_id` keeps its door, else raise ETicketNotFoundError."""
    return etickets.at_door(code, user_id, event_id, _read)


def door_counts(event_id):
    """Return (sold, checked in) for an event's door: its tickets with a current code, and those already used."""
    sold = ETicket.objects(event_id=event_id, status__in=[VALID, USED]).count()
    return sold, ETicket.objects(event_id=event_id, status=USED).count()


def current_eticket_of(ticket_id):
    """Return the ticket's current (valid or used) e-ticket, or None."""
    return ETicket.objects(ticket_id=str(ticket_id), current=True).first()


def sales_of(ticket_id):
    """Return the ticket's sales, first sale first (its history)."""
    return list(Sale.objects(ticket_id=str(ticket_id)).order_by("sold_at"))


def _tickets_by_id(ids):
    wanted = [ObjectId(i) for i in ids if ObjectId.is_valid(i)]
    return {str(t.id): t for t in Ticket.objects(id__in=wanted)} if wanted else {}


def held_by(query: MineQuery, user_id):
    """Return a Page of (ticket, e-ticket) the user holds now (codes valid or used), newest first."""
    spec = ETicket.objects(holder_id=user_id, status__in=[VALID, USED])
    total = spec.count()
    skip = (query.page - 1) * query.per_page
    held = list(spec.order_by("-issued_at", "-id").skip(skip).limit(query.per_page)) if skip < total else []
    tickets = _tickets_by_id({e.ticket_id for e in held})
    return Page([(tickets[e.ticket_id], e) for e in held if e.ticket_id in tickets], total)


def sold_and_selling(query: MineQuery, user_id):
    """Return a Page of (ticket, sale) for what the user sells now (sale None; newest first), then what they sold."""
    listed = Ticket.objects(user_id=user_id, status__in=[AVAILABLE, RESERVED])
    sales = Sale.objects(seller_id=user_id)
    listed_total, sales_total = listed.count(), sales.count()
    skip, limit = (query.page - 1) * query.per_page, query.per_page
    rows = []
    if skip < listed_total:
        rows = [(t, None) for t in listed.order_by("-created_at", "-id").skip(skip).limit(limit)]
    more = limit - len(rows)
    if more > 0 and skip + len(rows) < listed_total + sales_total:
        sold = list(sales.order_by("-sold_at", "-id").skip(max(0, skip - listed_total)).limit(more))
        tickets = _tickets_by_id({s.ticket_id for s in sold})
        rows += [(tickets[s.ticket_id], s) for s in sold if s.ticket_id in tickets]
    return Page(rows, listed_total + sales_total)
