"""Indexes of the orders context, among them the one that makes double-selling impossible."""

from pymongo import ASCENDING, DESCENDING

CONTEXT = "orders"


def upgrade(db):
    """Create the one-active-order-per-ticket index and the indexes of the buyer's list and the expiry sweep."""
    # THE invariant: a ticket never has two active (created, awaiting:payment or complete) orders. The database
    # refuses the second insert, however many requests race for the same ticket.
    db.orders_orders.create_index([("ticket_id", ASCENDING)], name="one_active_order_per_ticket", unique=True,
                                  partialFilterExpression={"active": True})
    db.orders_orders.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)], name="by_buyer_newest_first")
    db.orders_orders.create_index([("status", ASCENDING), ("expires_at", ASCENDING)], name="overdue")
