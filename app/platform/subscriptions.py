"""Which handlers listen to which event types, gathered from each served context's HANDLERS dict."""


def handler_name(fn):
    """Return the stable name of a handler: the key of its deliveries and inbox entries."""
    return f"{fn.__module__}.{fn.__qualname__}"


class Subscriptions:
    """The handlers of this process, by event type and by name."""

    def __init__(self):
        self.by_type = {}
        self.by_name = {}

    def add(self, event_type, fn):
        """Subscribe a handler function to an event type."""
        name = handler_name(fn)
        self.by_type.setdefault(event_type, [])
        if name not in self.by_type[event_type]:
            self.by_type[event_type].append(name)
        self.by_name[name] = fn

    def handlers_for(self, event_type):
        """Return the names of the handlers subscribed to an event type."""
        return list(self.by_type.get(event_type, ()))

    def get(self, name):
        """Return the handler function with this name."""
        return self.by_name[name]
