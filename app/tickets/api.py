"""The tickets JSON API, compatible with the original tickets service (price is a number in major units)."""

from flask import Blueprint, current_app, jsonify
from flask_login import current_user, login_required

from app.platform.freshness import cached
from app.platform.http import json_body

from . import services
from .money import to_major
from .queries import available_tickets, find_ticket

bp = Blueprint("tickets_api", __name__, url_prefix="/api/tickets")


def ticket_json(ticket):
    """Return a ticket as the API shows it."""
    return {
        "id": str(ticket.id),
        "title": ticket.title,
        "price": to_major(ticket.price, ticket.currency),
        "currency": ticket.currency,
        "status": ticket.status,
        "userId": ticket.user_id,
        "orderId": ticket.order_id,
        "version": ticket.version,
    }


@bp.post("")
@login_required
def create():
    """List a ticket for sale."""
    body = json_body()
    ticket = services.create_ticket(current_user.id, body.get("title"), body.get("price"))
    return jsonify(ticket_json(ticket)), 201


@bp.get("")
def index():
    """Return the tickets available for purchase, newest first."""
    # The same body for everyone: serialised once per change of the tickets, not once per request.
    body = cached("tickets", ("api-available",),
                  lambda: current_app.json.dumps([ticket_json(t) for t in available_tickets()]))
    return current_app.response_class(body, mimetype="application/json")


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
