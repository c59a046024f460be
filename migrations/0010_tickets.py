"""Tickets follows each order's events in version order instead of keeping a list of ended orders on every ticket."""

CONTEXT = "tickets"


def upgrade(db):
    """Drop the `ended_order_ids` array, which grew by one id per ended reservation of a ticket, forever."""
    db.tickets_tickets.update_many({"ended_order_ids": {"$exists": True}}, {"$unset": {"ended_order_ids": ""}})
