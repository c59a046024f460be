"""The orders JSON API, compatible with the original orders service."""

from bson import ObjectId
from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from app.platform.errors import ValidationError
from app.platform.http import json_body
from app.platform.money import to_major

from . import services
from .models import CANCELLED, COMPLETE
from .queries import find_order, orders_of

bp = Blueprint("orders_api", __name__, url_prefix="/api/orders")


def order_json(order):
    """Return an order as the API shows it, with its ticket."""
    return {
        "id": str(order.id),
        "userId": order.user_id,
        "status": order.status,
        "expiresAt": services.iso_utc(order.expires_at),
        "version": order.version,
        "cancelReason": order.cancel_reason if order.status == CANCELLED else None,
        "ticket": {
            "id": order.ticket.id,
            "title": order.ticket.title,
            "price": to_major(order.ticket.price, order.ticket.currency),
        },
        # Only ever shown to the buyer (find_order and orders_of answer with the caller's own orders only).
        "eticket": eticket_json(order),
    }


def eticket_json(order):
    """Return the buyer's e-ticket of a complete order ({code, url}), or None (not complete, or not issued yet)."""
    if order.status != COMPLETE or not order.eticket_code:
        return None
    # A literal path: the e-ticket page belongs to the tickets context.
    return {"code": order.eticket_code, "url": f"/etickets/{order.eticket_code}"}


@bp.post("")
@login_required
def create():
    """Reserve a ticket for the caller."""
    ticket_id = json_body().get("ticketId")
    if ticket_id is None or ticket_id == "":
        raise ValidationError({"ticketId": "TicketId must be provided"})
    if not isinstance(ticket_id, str) or not ObjectId.is_valid(ticket_id):
        raise ValidationError({"ticketId": "TicketId must be a valid id"})
    order = services.place_order(current_user.id, ticket_id, current_user.email)
    return jsonify(order_json(order)), 201


@bp.get("")
@login_required
def index():
    """Return the caller's orders, newest first."""
    return jsonify([order_json(o) for o in orders_of(current_user.id)])


@bp.get("/<order_id>")
@login_required
def show(order_id):
    """Return one of the caller's orders."""
    return jsonify(order_json(find_order(order_id, current_user.id)))


@bp.delete("/<order_id>")
@login_required
def cancel(order_id):
    """Cancel one of the caller's unpaid orders (harmless to repeat)."""
    services.cancel_order(order_id, current_user.id)
    return "", 204
