"""Read-only queries of the orders context, for the API and the pages (no unit of work needed)."""

from bson import ObjectId

from .errors import OrderNotFoundError, OrderNotOwnedError
from .models import EventReplica, Order


def find_order(order_id, user_id):
    """Return the buyer's order, or raise OrderNotFoundError (also for a malformed id) or OrderNotOwnedError."""
    order = Order.objects(id=ObjectId(order_id)).first() if ObjectId.is_valid(order_id) else None
    if order is None:
        raise OrderNotFoundError()
    if order.user_id != user_id:
        raise OrderNotOwnedError()
    return order


def orders_of(user_id, limit=500):
    """Return the buyer's orders, newest first."""
    return list(Order.objects(user_id=user_id).order_by("-created_at", "-id").limit(limit))


def events_of(orders):
    """Return {event id: orders' replica of it} for the events of some orders (their pages show date and venue)."""
    ids = {order.event_id for order in orders if order.event_id}
    return {replica.id: replica for replica in EventReplica.objects(id__in=list(ids))} if ids else {}
