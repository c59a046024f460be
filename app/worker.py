"""The worker entry point: `python -m app.worker` runs the Huey consumer and the sweep for the same app."""

import logging

from huey.consumer import Consumer

from . import create_app
from .extensions import huey
from .platform import sweeper

log = logging.getLogger(__name__)


class _Consumer(Consumer):
    """Huey's consumer, announcing itself only once SIGTERM and SIGINT would stop it cleanly."""

    banner = "worker started"

    def _set_signal_handlers(self):
        super()._set_signal_handlers()
        # Printed, not logged: supervisors and tests wait for this line whatever LOG_LEVEL says.
        print(self.banner, flush=True)


def main():
    """Run the consumer for the app the environment describes."""
    run(create_app())


def run(app):
    """Run the consumer (Ctrl-C or SIGTERM stops it) with the sweep beside it."""
    transport = app.extensions["dispatcher"].transport
    stop = sweeper.start(app)
    if hasattr(transport, "start_consuming"):
        transport.start_consuming()
    consumer = _Consumer(
        huey, workers=app.config["WORKER_THREADS"], worker_type="thread", periodic=True, initial_delay=0.05,
        backoff=1.5, max_delay=0.5, scheduler_interval=1, check_worker_health=True, flush_locks=False,
    )
    consumer.banner = f"worker started: contexts={','.join(app.config['CONTEXTS'])} transport={transport.name}"
    try:
        consumer.run()
    finally:
        stop.set()
        transport.close()


if __name__ == "__main__":
    main()
