"""The tickets JSON API, compatible with the original tickets service (price is a number in major units), and the
events API: dated events, found by words, city and time, with what their tickets cost."""

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from app.platform.http import json_body
from app.platform.paging import paging_headers

from . import services, shows
from .money import to_major
from .params import event_query, ticket_query
from .queries import available_tickets, events_by_id, find_event, find_ticket, has_started, listing, upcoming_events

bp = Blueprint("tickets_api", __name__, url_prefix="/api/tickets")
events_bp = Blueprint("events_api", __name__, url_prefix="/api/events")


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
    """Return a page of the tickets available for purchase (newest first unless sorted), with paging headers."""
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
