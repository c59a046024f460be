"""The MongoDB connection, bound to an app by init_app (nothing connects at import time)."""

from urllib.parse import urlsplit

import mongoengine
from pymongo.errors import PyMongoError


class Mongo:
    """Hold the client and database used by mongoengine documents and by the unit of work."""

    def __init__(self):
        self.client = None
        self.db = None

    def init_app(self, app):
        """Connect mongoengine's default alias to MONGODB_URI with short timeouts."""
        uri = app.config["MONGODB_URI"]
        timeout = app.config["MONGODB_TIMEOUT_MS"]
        name = urlsplit(uri).path.lstrip("/") or "ticketing"
        mongoengine.disconnect_all()
        # Short timeouts: a database outage must turn into a fast 503, never a hanging request.
        self.client = mongoengine.connect(
            db=name,
            host=uri,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            socketTimeoutMS=max(timeout * 3, 10000),
            uuidRepresentation="standard",
        )
        self.db = self.client[name]
        app.extensions["mongo"] = self

    def ping(self):
        """Return None when the server answers, else the reason it does not."""
        try:
            self.client.admin.command("ping")
        except PyMongoError as exc:
            return f"mongodb: {type(exc).__name__}"
        return None
