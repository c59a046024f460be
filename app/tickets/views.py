"""The tickets pages: the home page of tickets for sale, a ticket's page, and the sell and edit forms."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.platform.errors import DomainError, ValidationError
from app.platform.freshness import cached

from . import services
from .errors import TicketNotOwnedError
from .forms import TicketForm
from .models import AVAILABLE
from .money import format_money, input_value
from .queries import available_tickets, find_ticket

bp = Blueprint("tickets", __name__, template_folder="templates")
PAGE_SIZE = 20
# Beyond this page there is nothing to show, and a skip that large overflows the database's integers.
MAX_PAGE = 100_000


@bp.context_processor
def _helpers():
    return {"format_money": format_money}


@bp.get("/")
def home():
    """Show the tickets available for purchase, newest first, a page at a time."""
    page = request.args.get("page", 1, type=int)
    page = page if page and page > 0 else 1
    if not session and page <= MAX_PAGE:
        # A visitor with an empty session (signed out, no flash, no form token) sees exactly what every other such
        # visitor sees: render the page once per change of the tickets, not once per request.
        return cached("tickets", ("home-page", page), lambda: _render_home(page))
    return _render_home(page)


def _render_home(page):
    tickets = available_tickets(skip=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1) if page <= MAX_PAGE else []
    return render_template("tickets/home.html", tickets=tickets[:PAGE_SIZE], page=page,
                           has_next=len(tickets) > PAGE_SIZE)


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new():
    """Show the sell form and list the ticket it describes."""
    form = TicketForm()
    if form.validate_on_submit():
        try:
            ticket = services.create_ticket(current_user.id, form.title.data, form.price.data)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            flash("Your ticket is for sale.", "success")
            return redirect(url_for("tickets.show", ticket_id=str(ticket.id)))
    status = 400 if form.errors else 200
    return render_template("tickets/new.html", form=form), status


@bp.get("/tickets/<ticket_id>")
def show(ticket_id):
    """Show a ticket: Purchase for buyers, Edit for its seller."""
    ticket = find_ticket(ticket_id)
    is_owner = current_user.is_authenticated and current_user.id == ticket.user_id
    return render_template("tickets/show.html", ticket=ticket, is_owner=is_owner)


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
