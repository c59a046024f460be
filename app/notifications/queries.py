"""Read-only queries of the notifications context: what is owed, sent and dead (for `flask mail status`)."""

from app.platform.mongo import count

from .models import DEAD, PENDING, SENT, Email


def mail_status(dead_limit=50):
    """Return the number of pending, sent and dead emails, and the dead ones (newest first)."""
    collection = Email._get_collection()
    counts = {status: count(collection, {"status": status}) for status in (PENDING, SENT, DEAD)}
    dead = [{"id": str(doc["_id"]), "kind": doc["kind"], "to": doc.get("to"), "user_id": doc["user_id"],
             "attempts": doc["attempts"], "last_error": doc.get("last_error")}
            for doc in collection.find({"status": DEAD}, sort=[("created_at", -1), ("_id", -1)],
                                       limit=dead_limit)]
    return {**counts, "dead_emails": dead}
