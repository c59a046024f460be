"""Index of the catalogue's part in the orders context: an event's orders, found when the event moves earlier.

`orders_by_event` {event_id}: on a real MongoDB and on the embedded server alike a single-field equality is an index
seek; the few orders of one event are then filtered by status in the application.
"""

from pymongo import ASCENDING

CONTEXT = "orders"


def upgrade(db):
    """Create the index of an event's orders."""
    db.orders_orders.create_index([("event_id", ASCENDING)], name="orders_by_event")
