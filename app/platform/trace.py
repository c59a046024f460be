"""Follow one purchase: the chain of events around an order or a ticket, from the outbox and the inbox."""

from flask import current_app

from .delivery import inbox_key
from .dispatcher import dispatcher
from .documents import Delivery, InboxEntry, OutboxEvent

_LIMIT = 500


def _db():
    return current_app.extensions["mongo"].db


def trace(aggregate_id):
    """Return the events about `aggregate_id` and every event of their chains, oldest first, each with its handlers."""
    if not isinstance(aggregate_id, str) or not aggregate_id:
        return []
    outbox = _db()[OutboxEvent._get_collection_name()]
    about = {"$or": [{"aggregate_id": aggregate_id}, {"payload.ticket_id": aggregate_id},
                     {"payload.order_id": aggregate_id}]}
    seeds = list(outbox.find(about, {"payload.correlation_id": 1}, limit=_LIMIT))
    chains = sorted({doc["payload"].get("correlation_id") for doc in seeds} - {None})
    query = {"$or": [about, {"payload.correlation_id": {"$in": chains}}]} if chains else about
    events = sorted(outbox.find(query, limit=_LIMIT), key=lambda doc: (doc["created_at"], doc.get("version", 0)))
    return [_describe(doc) for doc in events]


def _describe(doc):
    payload = doc["payload"]
    return {
        "id": doc["_id"], "time": doc["created_at"], "type": doc["type"], "context": doc["type"].split(".", 1)[0],
        "aggregate_id": doc["aggregate_id"], "version": doc.get("version"),
        "correlation_id": payload.get("correlation_id"), "causation_id": payload.get("causation_id"),
        "relayed_at": doc.get("relayed_at"), "handlers": _handlers(doc["_id"], doc["type"]),
    }


def _handlers(event_id, event_type):
    names = dispatcher().handlers_for(event_type)
    applied = {doc["_id"]: doc["applied_at"] for doc in _db()[InboxEntry._get_collection_name()].find(
        {"_id": {"$in": [inbox_key(name, event_id) for name in names]}})}
    owed = {doc["handler"]: doc["status"] for doc in _db()[Delivery._get_collection_name()].find(
        {"_id": {"$in": [f"{event_id}:{name}" for name in names]}}, {"handler": 1, "status": 1})}
    out = []
    for name in names:
        if inbox_key(name, event_id) in applied:
            out.append({"handler": name, "status": "applied", "at": applied[inbox_key(name, event_id)]})
        elif name in owed:
            out.append({"handler": name, "status": owed[name], "at": None})
        else:
            # Applied at once by a version-ordered handler (no inbox entry), or history past retention.
            out.append({"handler": name, "status": "applied" if not dispatcher().needs_inbox(name) else "unknown",
                        "at": None})
    return out
