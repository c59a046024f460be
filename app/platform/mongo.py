"""The MongoDB connection, bound to an app by init_app (nothing connects at import time)."""

from urllib.parse import urlsplit

import mongoengine
import pymongo
from mongoengine import connection as mongoengine_connection
from pymongo import MongoClient
from pymongo.errors import PyMongoError


def count(collection, query):
    """Return how many documents of `collection` match `query`, counted by the server's `count` command."""
    # Both servers count an index's matches without decoding a document; count_documents (an aggregation) made the
    # embedded server decode every document of the collection.
    return int(collection.database.command("count", collection.name, query=query)["n"])


class MongoState:
    """One app's client and database."""

    def __init__(self, client, db):
        self.client = client
        self.db = db

    def activate(self):
        """Point mongoengine's default alias at this app's database (the last app created wins otherwise)."""
        alias = mongoengine.DEFAULT_CONNECTION_NAME
        mongoengine_connection._connections[alias] = self.client
        mongoengine_connection._dbs[alias] = self.db
        mongoengine_connection._connection_settings[alias] = {"name": self.db.name, "host": None}

    def ping(self):
        """Return None when the server answers, else the reason it does not."""
        try:
            # Bounded like a request: a frozen server must not hold /readyz for a whole socket timeout.
            with pymongo.timeout(self.client.options.server_selection_timeout):
                self.client.admin.command("ping")
        except PyMongoError as exc:
            return f"mongodb: {type(exc).__name__}"
        return None


class Mongo:
    """The extension: builds a MongoState per app."""

    def init_app(self, app):
        """Connect to MONGODB_URI with short timeouts and keep the state in app.extensions["mongo"]."""
        uri = app.config["MONGODB_URI"]
        timeout = app.config["MONGODB_TIMEOUT_MS"]
        name = urlsplit(uri).path.lstrip("/") or "ticketing"
        # Short timeouts: a database outage must turn into a fast 503, never a hanging request. timeoutMS bounds
        # each operation outside a unit of work (with its retry and server selection) by the transaction deadline,
        # so a server that answers nothing (frozen, or a dead host) fails a plain read as fast as a transaction.
        client = MongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            socketTimeoutMS=max(timeout * 3, 10000),
            timeoutMS=int(app.config["TRANSACTION_DEADLINE_SECONDS"] * 1000),
            uuidRepresentation="standard",
        )
        # Our own client, handed to mongoengine on activate(): a second app (tests, CLI) never closes the first's.
        state = MongoState(client, client[name])
        app.extensions["mongo"] = state
        return state
