"""Counting the commands an app sends its database (pymongo command monitoring), to assert round trips."""

from contextlib import contextmanager

from pymongo import MongoClient, monitoring

from app.platform.mongo import MongoState


class Writes(monitoring.CommandListener):
    """Counts the write commands (and commits) a client sends, by command name."""

    WRITES = {"insert", "update", "delete", "findAndModify"}

    def __init__(self):
        self.counts = {}
        self.collections = []

    def started(self, event):
        if event.command_name in self.WRITES | {"commitTransaction"}:
            self.counts[event.command_name] = self.counts.get(event.command_name, 0) + 1
        if event.command_name in self.WRITES:
            self.collections.append(event.command[event.command_name])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def writes(self):
        """Return how many write commands were sent."""
        return sum(n for name, n in self.counts.items() if name in self.WRITES)


@contextmanager
def counting_writes(app, monkeypatch):
    """Give the app a client of its own that counts what it writes; yield the counter."""
    listener = Writes()
    db_name = app.extensions["mongo"].db.name
    client = MongoClient(app.config["MONGODB_URI"], tz_aware=True, event_listeners=[listener])
    monkeypatch.setitem(app.extensions, "mongo", MongoState(client, client[db_name]))
    try:
        yield listener
    finally:
        client.close()
