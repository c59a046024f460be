"""The orders pages: my orders, placing an order from a ticket's page, an order with its countdown, cancelling."""

from bson import ObjectId
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.platform.documents import utcnow
from app.platform.errors import DomainError
from app.platform.money import format_money

from . import services
from .forms import CancelForm, PurchaseForm
from .models import UNPAID
from .queries import events_of, find_order, orders_of

bp = Blueprint("orders", __name__, template_folder="templates")

STATUS_LABELS = {"created": "Reserved", "awaiting:payment": "Awaiting payment", "cancelled": "Cancelled",
                 "complete": "Paid"}


def seconds_left(order):
    """Return the whole seconds an unpaid order has left to be paid (0 once expired), or None once it ended."""
    if order.status not in UNPAID:
        return None
    return max(0, int((order.expires_at - utcnow()).total_seconds()))


def clock(seconds):
    """Return seconds as m:ss (or h:mm:ss), the way the countdown shows them."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def status_label(order):
    """Return the order's status in words ("Paid" for complete; expired orders say so)."""
    if order.status == "cancelled" and order.cancel_reason == "expired":
        return "Expired"
    return STATUS_LABELS.get(order.status, order.status)


@bp.context_processor
def _helpers():
    return {"format_money": format_money, "seconds_left": seconds_left, "clock": clock,
            "status_label": status_label, "iso_utc": services.iso_utc}


@bp.get("/orders")
@login_required
def index():
    """Show the buyer's orders: ticket, price, status and time left."""
    orders = orders_of(current_user.id)
    return render_template("orders/index.html", orders=orders, events=events_of(orders))


@bp.post("/orders")
@login_required
def place():
    """Reserve the ticket of the page the buyer came from and show the new order."""
    form = PurchaseForm()
    form.validate_on_submit()  # the CSRF check already ran for every POST; this binds the ticket id
    ticket_id = (form.ticket_id.data or "").strip()
    # Back to the ticket (a literal path: it belongs to the tickets context), or home when the id is garbage.
    back = f"/tickets/{ticket_id}" if ObjectId.is_valid(ticket_id) else "/"
    if not ObjectId.is_valid(ticket_id):
        flash("Choose a ticket to purchase.", "error")
        return redirect(back)
    try:
        order = services.place_order(current_user.id, ticket_id, current_user.email)
    except DomainError as exc:
        # Shown beside the ticket page's Purchase button (the "purchase-error" category), not in the page's flashes.
        flash(exc.message, "purchase-error")
        return redirect(back)
    flash("The ticket is reserved for you. Pay before the time runs out.", "success")
    return redirect(url_for("orders.show", order_id=str(order.id)))


@bp.get("/orders/<order_id>")
@login_required
def show(order_id):
    """Show one of the buyer's orders with a countdown to its expiry."""
    order = find_order(order_id, current_user.id)
    return render_template("orders/show.html", order=order, cancel_form=CancelForm(),
                           show=events_of([order]).get(order.event_id))


@bp.post("/orders/<order_id>/cancel")
@login_required
def cancel(order_id):
    """Cancel one of the buyer's unpaid orders."""
    CancelForm().validate_on_submit()
    try:
        services.cancel_order(order_id, current_user.id)
    except DomainError as exc:
        if exc.status_code != 400:
            raise
        flash(exc.message, "error")
    else:
        flash("Your order was cancelled.", "success")
    return redirect(url_for("orders.show", order_id=order_id))
