"""Indexes of e-tickets, sales and "My tickets" (tickets context); tickets listed before resales get their first seller.

Invariants held by the database:
- `eticket_by_code` {code} unique: a code names one e-ticket (and the door and holder pages find it by it);
- `one_eticket_per_order` {order_id} unique: an order's completion issues one code, never two;
- `one_current_eticket_per_ticket` {ticket_id} unique where `current` is true: a ticket never has two codes that
  open the door (a resale voids the old one in the transaction that issues the new one). It also serves the
  holder's-code lookup of every resale, check-in and sale.

Query shapes and the index a real MongoDB answers each from:
- a holder's tickets, newest first (`holder=me`, /account): `held_by_newest_first` {holder_id, issued_at -1};
- a door's counts (sold, checked in): `door_counts` {event_id, status};
- what a seller sells now (`seller=me`, /account): `selling_newest_first` {user_id, status, created_at -1};
- what a seller sold: `sold_by_newest_first` {seller_id, sold_at -1, _id -1};
- a ticket's sales (its page's history): `ticket_history` {ticket_id, sold_at}.
"""

from pymongo import ASCENDING, DESCENDING

CONTEXT = "tickets"


def upgrade(db):
    """Create the e-ticket, sale and seller indexes; record each existing ticket's first seller."""
    etickets = db.tickets_etickets
    etickets.create_index([("code", ASCENDING)], name="eticket_by_code", unique=True)
    etickets.create_index([("order_id", ASCENDING)], name="one_eticket_per_order", unique=True)
    etickets.create_index([("ticket_id", ASCENDING)], name="one_current_eticket_per_ticket", unique=True,
                          partialFilterExpression={"current": True})
    etickets.create_index([("holder_id", ASCENDING), ("issued_at", DESCENDING)], name="held_by_newest_first")
    etickets.create_index([("event_id", ASCENDING), ("status", ASCENDING)], name="door_counts")

    sales = db.tickets_sales
    sales.create_index([("seller_id", ASCENDING), ("sold_at", DESCENDING), ("_id", DESCENDING)],
                       name="sold_by_newest_first")
    sales.create_index([("ticket_id", ASCENDING), ("sold_at", ASCENDING)], name="ticket_history")

    tickets = db.tickets_tickets
    tickets.create_index([("user_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
                         name="selling_newest_first")
    for ticket in tickets.find({"original_seller_id": {"$exists": False}}, {"user_id": 1}):
        tickets.update_one({"_id": ticket["_id"]}, {"$set": {"original_seller_id": ticket["user_id"]}})
