"""The tickets JSON API, compatible with the original tickets service (price is a number in major units), and the
events API: dated events, found by words, city and time, with what their tickets cost."""

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from app.platform.documents import as_utc
from app.platform.errors import NotAuthorizedError
from app.platform.http import json_body
from app.platform.paging import paging_headers

from . import holders, services, shows
from .money import to_major
from .params import event_query, mine_query, ticket_query
from .queries import (
    available_tickets,
    eticket_at_door,
    events_by_id,
    find_event,
    find_ticket,
    has_started,
    held_by,
    listing,
    sold_and_selling,
    upcoming_events,
)

bp = Blueprint("tickets_api", __name__, url_prefix="/api/tickets")
events_bp = Blueprint("events_api", __name__, url_prefix="/api/events")
etickets_bp = Blueprint("etickets_api", __name__, url_prefix="/api/etickets")


def _iso(moment):
    return shows.iso_utc(as_utc(moment)) if moment is not None else None


def event_summary_json(show):
    """Return the short form of an event a ticket shows."""
    return {"id": str(show.id), "name": show.name, "venue": show.venue, "city": show.city,
            "startsAt": shows.iso_utc(show.starts_at)}


def event_json(show, summary=True):
    """Return an event as the API shows it; with `summary`, what its available tickets cost (none once started)."""
    body = {**event_summary_json(show), "organizerId": show.organizer_id, "version": show.version}
    if summary:
        on_sale = not has_started(show)
        lowest = show.lowest_price if on_sale else None
        currency = (show.currency if lowest is not None else None) or current_app.config["CURRENCY"].upper()
        body.update(ticketsAvailable=show.tickets_available if on_sale else 0,
                    lowestPrice=None if lowest is None else to_major(lowest, currency), currency=currency)
    return body


def ticket_json(ticket, show=None):
    """Return a ticket as the API shows it, with its event (pass it when already loaded)."""
    if ticket.event_id and show is None:
        show = events_by_id([ticket.event_id]).get(ticket.event_id)
    return {
        "id": str(ticket.id),
        "title": ticket.title,
        "price": to_major(ticket.price, ticket.currency),
        "currency": ticket.currency,
        "status": ticket.status,
        "userId": ticket.user_id,
        "orderId": ticket.order_id,
        "version": ticket.version,
        "eventId": ticket.event_id,
        "event": event_summary_json(show) if show is not None else None,
    }


def tickets_json(tickets):
    """Return tickets as the API shows them, loading their events in one query."""
    shown = events_by_id({t.event_id for t in tickets if t.event_id})
    return [ticket_json(t, shown.get(t.event_id)) for t in tickets]


def _paged(kind, query, compute_page, render):
    """Answer a page of a shared listing from the read cache (renewed by tickets events and by each event start)."""
    def compute(now):
        page = compute_page(query, now)
        return current_app.json.dumps(render(page)), page.total

    body, total = listing((kind, query.key()), compute)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers.update(paging_headers(request.base_url, request.args, query.page, query.per_page, total))
    return response


@bp.post("")
@login_required
def create():
    """List a ticket for sale, for an upcoming event (`eventId`) or for none."""
    body = json_body()
    ticket = services.create_ticket(current_user.id, body.get("title"), body.get("price"), body.get("eventId"))
    return jsonify(ticket_json(ticket)), 201


@bp.get("")
def index():
    """Return a page of the tickets available for purchase (newest first unless sorted), or of the caller's own
    (`holder=me`, `seller=me`), with paging headers."""
    mine = mine_query(request.args)
    if mine is not None:
        return _mine(mine)
    query = ticket_query(request.args, current_app.config["CURRENCY"].upper())
    return _paged("api-tickets", query, lambda q, now: available_tickets(q, now), tickets_json)


@bp.get("/<ticket_id>")
def show(ticket_id):
    """Return one ticket."""
    return jsonify(ticket_json(find_ticket(ticket_id)))


@bp.put("/<ticket_id>")
@login_required
def update(ticket_id):
    """Change the title and price of the caller's own available ticket."""
    body = json_body()
    ticket = services.update_ticket(ticket_id, current_user.id, body.get("title"), body.get("price"))
    return jsonify(ticket_json(ticket))


def _mine(query):
    if not current_user.is_authenticated:
        raise NotAuthorizedError()
    if query.role == "holder":
        page = held_by(query, current_user.id)
        body = [_with(ticket, eticket=eticket_json(eticket)) for ticket, eticket in page]
    else:
        page = sold_and_selling(query, current_user.id)
        body = [_with(ticket, reservedUntil=_iso(ticket.reserved_until) if sale is None else None,
                      sale=None if sale is None else sale_json(sale)) for ticket, sale in page]
    response = jsonify(body)
    response.headers.update(paging_headers(request.base_url, request.args, query.page, query.per_page, page.total))
    return response


def sale_json(sale):
    """Return one sale of a ticket as its seller sees it: the order, the price, when."""
    return {"orderId": sale.order_id, "price": to_major(sale.price, sale.currency), "currency": sale.currency,
            "soldAt": _iso(sale.sold_at)}


def _with(ticket, **extra):
    return {**ticket_json(ticket), **extra}


def eticket_json(eticket):
    """Return the holder's view of their e-ticket: the code, its page, its status and when it was used."""
    return {"code": eticket.code, "url": f"/etickets/{eticket.code}", "status": eticket.status,
            "checkedInAt": _iso(eticket.checked_in_at)}


@bp.post("/<ticket_id>/resale")
@login_required
def resell(ticket_id):
    """Put the caller's bought ticket back on sale, at most RESALE_MAX_MARKUP_PERCENT above what they paid."""
    ticket = holders.resell_ticket(ticket_id, current_user.id, json_body().get("price"))
    return jsonify(ticket_json(ticket)), 201


@bp.delete("/<ticket_id>/resale")
@login_required
def withdraw(ticket_id):
    """Take the caller's unreserved resale listing off sale."""
    holders.withdraw_resale(ticket_id, current_user.id)
    return "", 204


def door_json(eticket):
    """Return an e-ticket as its door sees it: status, ticket, event, holder and check-in time."""
    show = events_by_id([eticket.event_id]).get(eticket.event_id) if eticket.event_id else None
    return {"code": eticket.code, "status": eticket.status, "ticketId": eticket.ticket_id, "title": eticket.title,
            "event": event_summary_json(show) if show is not None else None, "holder": eticket.holder_email,
            "checkedInAt": _iso(eticket.checked_in_at)}


@etickets_bp.get("/<code>")
@login_required
def verify(code):
    """Tell the event's organiser (or a ticket's first seller) whether a code opens their door."""
    return jsonify(door_json(eticket_at_door(code, current_user.id)))


@etickets_bp.post("/<code>/check-in")
@login_required
def check_in(code):
    """Let a valid code's holder in, once: 409 once used, 410 once void."""
    eticket = holders.check_in(code, current_user.id)
    return jsonify({"status": eticket.status, "checkedInAt": _iso(eticket.checked_in_at)})


@events_bp.post("")
@login_required
def create_event():
    """Announce a dated event, organised by the caller."""
    body = json_body()
    show = shows.create_event(current_user.id, body.get("name"), body.get("venue"), body.get("city"),
                              body.get("startsAt"))
    return jsonify(event_json(show, summary=False)), 201


@events_bp.get("")
def events_index():
    """Return a page of the upcoming events, soonest first, with what their tickets cost and paging headers."""
    query = event_query(request.args)
    return _paged("api-events", query, upcoming_events, lambda page: [event_json(s) for s in page])


@events_bp.get("/<event_id>")
def event_show(event_id):
    """Return one event, also one that has started."""
    return jsonify(event_json(find_event(event_id)))


@events_bp.put("/<event_id>")
@login_required
def update_event(event_id):
    """Change the caller's own event before it starts."""
    body = json_body()
    show = shows.update_event(event_id, current_user.id, body.get("name"), body.get("venue"), body.get("city"),
                              body.get("startsAt"))
    return jsonify(event_json(show, summary=False))
