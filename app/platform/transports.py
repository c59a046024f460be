"""Event transports: how a relayed event reaches the handlers that subscribe to it."""

from .delivery import deliver_now


class LocalTransport:
    """Deliver to this process's handlers at once, or through queued delivery records when that fails."""

    name = "local"

    def publish_many(self, payloads):
        """Deliver several events to the local handlers at once (queued deliveries if that fails)."""
        deliver_now(payloads)

    def close(self):
        """Release nothing: the local transport holds no connection."""
