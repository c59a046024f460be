"""The dispatcher, one per app: who listens to which events, how they travel, and the relay's state."""

import threading

from flask import current_app


def handler_name(fn):
    """Return the stable name of a handler: the key of its deliveries and inbox entries."""
    return f"{fn.__module__}.{fn.__qualname__}"


def context_of(name):
    """Return the bounded context a handler belongs to (`app.<context>.handlers.fn`), or None."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "app" else None


def version_ordered(fn):
    """Mark a handler whose every write is a version-ordered replica update (or follows from one that changed): a
    redelivery is a no-op by itself.

    Such a handler needs no inbox entry (one write fewer per event); any other handler gets one in its transaction.
    """
    fn.version_ordered = True
    return fn


class Dispatcher:
    """Event dispatch for one app: subscriptions, transport, and the relay's lock, hint and recently relayed ids."""

    # Ids this app relayed lately: a hint for events an earlier pass already took costs no query at all.
    RECENT_MAX = 20_000

    def __init__(self):
        self.by_type = {}
        self.by_name = {}
        self.transport = None
        self.relay_lock = threading.Lock()  # one relay pass at a time in this process
        self.hinted = threading.Event()  # a commit asked for a relay pass that no pass has served yet
        self._recent = {}
        self._recent_lock = threading.Lock()

    # --- subscriptions -----------------------------------------------------------------------------------------

    def subscribe(self, event_type, fn):
        """Subscribe a handler function to an event type."""
        name = handler_name(fn)
        names = self.by_type.setdefault(event_type, [])
        if name not in names:
            names.append(name)
        self.by_name[name] = fn

    def handlers_for(self, event_type, context=None):
        """Return the names of the handlers subscribed to an event type (of one context, if given)."""
        names = self.by_type.get(event_type, ())
        return [n for n in names if context is None or context_of(n) == context]

    def handler(self, name):
        """Return the handler function with this name."""
        return self.by_name[name]

    def needs_inbox(self, name):
        """Return whether a handler needs an inbox entry to make a redelivery harmless."""
        return not getattr(self.by_name[name], "version_ordered", False)

    # --- relay state -------------------------------------------------------------------------------------------

    def relayed_lately(self, event_ids):
        """Return whether this app relayed every one of these events lately."""
        return bool(event_ids) and all(event_id in self._recent for event_id in event_ids)

    def remember_relayed(self, event_ids):
        """Remember events as relayed, forgetting the oldest beyond RECENT_MAX."""
        with self._recent_lock:
            self._recent.update(dict.fromkeys(event_ids))
            while len(self._recent) > self.RECENT_MAX:
                del self._recent[next(iter(self._recent))]


def dispatcher():
    """Return the current app's dispatcher."""
    return current_app.extensions["dispatcher"]
