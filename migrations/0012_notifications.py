"""The email sweep's and `flask mail status`'s reads in index order: `owed` {status, next_attempt_at, _id}, soonest
due first, and `by_status_newest` {status, created_at -1, _id -1}, dead emails newest first (their sorts end in `_id`,
so the embedded server reads the index instead of every email ever sent)."""

from pymongo import ASCENDING, DESCENDING

from migrations.runner import replace_index

CONTEXT = "notifications"


def upgrade(db):
    """Give the email sweep's and `flask mail status`'s indexes the keys of their sorts."""
    emails = db.notifications_emails
    replace_index(emails, [("status", ASCENDING), ("next_attempt_at", ASCENDING), ("_id", ASCENDING)], "owed")
    replace_index(emails, [("status", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], "by_status_newest")
