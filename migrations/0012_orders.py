"""The expiry sweep's read in index order: `overdue` {status, expires_at, _id}, one unpaid status at a time, soonest
due first (its sort ends in `_id`, so the embedded server reads the index instead of every order ever placed)."""

from pymongo import ASCENDING

from migrations.runner import replace_index

CONTEXT = "orders"


def upgrade(db):
    """Give the expiry sweep's index the keys of its sort."""
    replace_index(db.orders_orders, [("status", ASCENDING), ("expires_at", ASCENDING), ("_id", ASCENDING)], "overdue")
