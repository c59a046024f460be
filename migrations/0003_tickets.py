"""Indexes of the tickets context."""

from pymongo import ASCENDING, DESCENDING

CONTEXT = "tickets"


def upgrade(db):
    """Create the indexes behind the home page (available, newest first) and a seller's tickets."""
    db.tickets_tickets.create_index([("status", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                                    name="for_sale_newest_first")
    db.tickets_tickets.create_index([("user_id", ASCENDING)], name="by_seller")
