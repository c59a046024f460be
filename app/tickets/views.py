"""The tickets pages: the home page of upcoming events, an event's page and its organiser's edit form, all tickets
for sale, a ticket's page, and the sell and edit forms."""

from dataclasses import replace

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.platform.errors import DomainError, ValidationError
from app.presentation import venue_time

from . import services, shows
from .errors import EventNotFoundError, EventStartedError, TicketNotOwnedError
from .forms import EVENT_FIELDS, NEW_EVENT, NO_EVENT, NO_TIME, SELL_FIELDS, EventForm, SellForm, TicketForm
from .models import AVAILABLE
from .money import format_money, input_value
from .params import TicketQuery, day, event_query, ticket_query
from .queries import (
    available_tickets,
    current_eticket_of,
    events_by_id,
    events_to_sell_for,
    find_event,
    find_ticket,
    has_started,
    listing,
    sales_of,
    upcoming_events,
)
from .search import query_terms

bp = Blueprint("tickets", __name__, template_folder="templates")
PAGE_SIZE = 20
EVENT_PAGE_TICKETS = 100


@bp.context_processor
def _helpers():
    return {"format_money": format_money}


def _shared(key, render):
    # A visitor with an empty session (signed out, no flash, no form token) sees exactly what every other such
    # visitor sees: render the page once per change of the tickets (or event start), not once per request.
    return listing(key, lambda now: render()) if not session else render()


@bp.get("/")
def home():
    """Show the upcoming events, soonest first, searchable by words, city and dates, a page at a time."""
    query, refused = _page_query(event_query, request.args, PAGE_SIZE)
    query = replace(query, day_from=day(request.args.get("from")), day_to=day(request.args.get("to")),
                    start_from=None, start_to=None)
    return _shared(("home-page", query.key(), refused), lambda: _render_home(query, refused))


def _render_home(query, refused):
    events = upcoming_events(query)
    return render_template("tickets/home.html", events=events, query=query, refused=refused,
                           filters=_filters(query), pages=_pages(query.page, query.per_page, events.total))


def _filters(query):
    args = request.args
    return {"q": (args.get("q") or "")[:200], "city": (args.get("city") or "")[:100], "from": query.day_from or "",
            "to": query.day_to or "", "active": bool(query.terms or query.city or query.day_from or query.day_to)}


def _page_query(parse, args, per_page, **kwargs):
    # A page never answers 400: a bad filter is named on the page and left out of the question.
    try:
        return parse(args, default_per_page=per_page, **kwargs), None
    except ValidationError as exc:
        clean = {k: v for k, v in args.items() if k not in exc.errors}
        return parse(clean, default_per_page=per_page, **kwargs), next(iter(exc.errors.values()))


def _pages(page, per_page, total):
    last = max(1, -(-total // per_page))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return {"page": page, "last": last, "total": total,
            "prev": url_for(request.endpoint, **request.view_args, **args, page=page - 1) if page > 1 else None,
            "next": url_for(request.endpoint, **request.view_args, **args, page=page + 1) if page < last else None}


@bp.get("/events/<event_id>")
def event(event_id):
    """Show an event with its available tickets, cheapest first, and a way to sell one for it."""
    show = find_event(event_id)
    query = TicketQuery(event_id=str(show.id), sort="price", per_page=EVENT_PAGE_TICKETS)
    return _shared(("event-page", event_id), lambda: render_template(
        "tickets/event.html", show=show, started=has_started(show), tickets=available_tickets(query)))


@bp.route("/events/<event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id):
    """Show the organiser's form for their event and save it until the event starts (404 for anyone else)."""
    show = find_event(event_id)
    if show.organizer_id != current_user.id:
        raise EventNotFoundError()  # as the door does: nobody else learns that the page exists
    form = EventForm(utc_offset=show.utc_offset)
    refusal = EventStartedError.message if has_started(show) else None
    if request.method == "GET":
        form.fill(show.name, show.venue, show.city, show.starts_at, show.utc_offset)
    elif refusal is None and form.validate_on_submit():
        starts_at = form.starts_at()
        try:
            shows.update_event(event_id, current_user.id, form.name.data, form.venue.data, form.city.data,
                               starts_at or "")
        except ValidationError as exc:
            errors = exc.errors if starts_at is not None else {**exc.errors, "startsAt": NO_TIME}
            for field, message in errors.items():
                getattr(form, EVENT_FIELDS[field]).errors = [message]
        except EventStartedError as exc:
            refusal = exc.message  # it started while the organiser was typing
        else:
            flash("Your event was updated.", "success")
            return redirect(url_for("tickets.event", event_id=event_id))
    status = 400 if (form.errors or (refusal and request.method == "POST")) else 200
    return render_template("tickets/event_edit.html", form=form, show=show, refusal=refusal,
                           started=refusal is not None), status


@bp.get("/tickets")
def browse():
    """Show every ticket for sale (those without an event too), searchable and sortable, a page at a time."""
    currency = current_app.config["CURRENCY"].upper()
    query, refused = _page_query(ticket_query, request.args, PAGE_SIZE, currency=currency)
    query = replace(query, event_id=None)

    def render():
        tickets = available_tickets(query)
        return render_template("tickets/browse.html", tickets=tickets, events=events_by_id(
            {t.event_id for t in tickets if t.event_id}), query=query, refused=refused,
            q=(request.args.get("q") or "")[:200], pages=_pages(query.page, query.per_page, tickets.total))

    return _shared(("browse-page", query.key(), refused), render)


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new():
    """Show the sell form and list the ticket it describes (for an upcoming event, a new one, or none)."""
    form = SellForm()
    find = (request.args.get("find") or "")[:200]
    if request.method == "GET" and request.args.get("eventId"):
        form.event.data = request.args["eventId"]
    events = events_to_sell_for(query_terms(find))
    chosen = form.event.data not in (None, NO_EVENT, NEW_EVENT) and form.event.data
    if chosen and chosen not in {str(e.id) for e in events}:
        events = [*events_by_id([chosen]).values(), *events]  # the event the seller came from stays offered
    form.offer([(e, _label(e)) for e in events])
    if form.validate_on_submit():
        try:
            ticket = _sell(form)
        except ValidationError as exc:
            for field, message in exc.errors.items():
                getattr(form, SELL_FIELDS.get(field, "title")).errors = [message]
        else:
            flash("Your ticket is for sale.", "success")
            return redirect(url_for("tickets.show", ticket_id=str(ticket.id)))
    status = 400 if form.errors else 200
    return render_template("tickets/new.html", form=form, find=find), status


def _label(show):
    return f"{show.name} — {show.venue}, {show.city} · {venue_time(show.starts_at, show.utc_offset)}"


def _sell(form):
    if form.event.data == NEW_EVENT:
        starts_at = form.starts_at()
        if starts_at is None:
            raise ValidationError({"startsAt": NO_TIME})
        return services.create_ticket_for_new_event(current_user.id, form.title.data, form.price.data,
                                                    form.event_name.data, form.event_venue.data,
                                                    form.event_city.data, starts_at)
    return services.create_ticket(current_user.id, form.title.data, form.price.data, form.event.data or None)


@bp.get("/tickets/<ticket_id>")
def show(ticket_id):
    """Show a ticket with its event: Purchase for buyers, Edit for its seller."""
    ticket = find_ticket(ticket_id)
    show = events_by_id([ticket.event_id]).get(ticket.event_id) if ticket.event_id else None
    is_owner = current_user.is_authenticated and current_user.id == ticket.user_id
    held = current_eticket_of(ticket.id)
    is_holder = held is not None and current_user.is_authenticated and held.holder_id == current_user.id
    return render_template("tickets/show.html", ticket=ticket, show=show, is_owner=is_owner,
                           started=show is not None and has_started(show), sales=sales_of(ticket.id),
                           holder_code=held.code if is_holder else None)


@bp.route("/tickets/<ticket_id>/edit", methods=["GET", "POST"])
@login_required
def edit(ticket_id):
    """Show the edit form for the seller's ticket and save it while the ticket is available."""
    ticket = find_ticket(ticket_id)
    if ticket.user_id != current_user.id:
        raise TicketNotOwnedError()
    form = TicketForm()
    refusal = None if ticket.status == AVAILABLE else (
        "Cannot edit a sold ticket" if ticket.status == "sold" else "Cannot edit a reserved ticket")
    if request.method == "GET":
        form.title.data = ticket.title
        form.price.data = input_value(ticket.price, ticket.currency)
    elif form.validate_on_submit():
        try:
            services.update_ticket(ticket_id, current_user.id, form.title.data, form.price.data)
        except ValidationError as exc:
            _show_errors(form, exc)
        except DomainError as exc:
            refusal = exc.message
        else:
            flash("Your ticket was updated.", "success")
            return redirect(url_for("tickets.show", ticket_id=ticket_id))
    status = 400 if (form.errors or (refusal and request.method == "POST")) else 200
    return render_template("tickets/edit.html", form=form, ticket=ticket, refusal=refusal), status


def _show_errors(form, exc):
    for field, message in exc.errors.items():
        getattr(form, field).errors = [message]
