"""Security: signed-out sessions, shared rate-limit counters, and the holds that cap a buyer's unpaid orders."""

from pymongo import ASCENDING

CONTEXT = "platform"  # every service checks sessions and counts rate limits; the holds part finds nothing elsewhere


def upgrade(db):
    """Create the TTL indexes of ended sessions and rate-limit counters; record the holds of today's unpaid orders."""
    # A signed-out session is remembered until it would have expired anyway (app.platform.identity).
    db.platform_ended_sessions.create_index("expires_at", name="expire_ended_sessions", expireAfterSeconds=0)
    # The `limits` library's MongoDB storage (used when REDIS_URL is unset) looks counters up by _id and lets the
    # database expire them; the same index it would create itself, by the same name.
    for collection in (db.platform_rate_limits, db.platform_rate_limit_windows):
        collection.create_index([("expireAt", ASCENDING)], name="expireAt_1", expireAfterSeconds=0)
    # Orders placed before the limit existed count against it: each unpaid order holds one of its buyer's places.
    for order in db.orders_orders.find({"status": {"$in": ["created", "awaiting:payment"]}},
                                       projection={"user_id": 1}):
        db.orders_buyer_holds.update_one({"_id": order["user_id"]}, {"$addToSet": {"order_ids": str(order["_id"])}},
                                         upsert=True)
