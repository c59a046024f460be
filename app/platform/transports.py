"""Event transports: how a relayed event reaches the handlers that subscribe to it."""

from .delivery import create_deliveries, deliver_now


class LocalTransport:
    """Deliver to this process's handlers through delivery records and Huey tasks."""

    name = "local"

    def publish(self, payload):
        """Create the deliveries of one event for the local handlers."""
        create_deliveries(payload)

    def publish_many(self, payloads):
        """Deliver several events to the local handlers at once (queued deliveries if that fails)."""
        deliver_now(payloads)

    def close(self):
        """Release nothing: the local transport holds no connection."""
