"""Migration 0009 (tickets): tickets listed before events existed get their search fields and stay on sale."""

import importlib
from datetime import UTC, datetime

from bson import ObjectId


def test_tickets_listed_before_events_stay_listed_and_searchable(app, client, db):
    ticket_id = ObjectId()
    # A ticket as the code before the catalogue stored it: no event, no sale window, no search words.
    db.tickets_tickets.insert_one({"_id": ticket_id, "title": "Glastonbury weekend pass", "price": 33500,
                                   "currency": "USD", "user_id": str(ObjectId()), "status": "available",
                                   "order_id": None, "created_at": datetime.now(UTC),
                                   "version": 0})
    assert client.get("/api/tickets").get_json() == []  # invisible to the new listing until migrated

    importlib.import_module("migrations.0009_tickets").upgrade(db)

    stored = db.tickets_tickets.find_one({"_id": ticket_id})
    assert stored["event_id"] is None and stored["on_sale_until"].year == 9999
    assert [t["id"] for t in client.get("/api/tickets?q=glaston").get_json()] == [str(ticket_id)]
    assert client.get(f"/api/tickets/{ticket_id}").get_json()["event"] is None
    names = {index["name"] for index in db.tickets_events.list_indexes()}
    assert {"upcoming_soonest_first", "by_city_soonest_first", "events_by_keyword"} <= names
