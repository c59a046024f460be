"""The sweep: finds work that Huey lost (relay hints, deliveries, timers) from the records in MongoDB."""

import logging
import threading

from flask import current_app

from .delivery import requeue_stalled
from .relay import relay_pending
from .retention import purge_history

_RELAY_LIMIT = 500

log = logging.getLogger(__name__)


def sweep():
    """Relay forgotten events, requeue stalled deliveries, run each context's sweeps and delete expired history."""
    grace = current_app.config["SWEEP_INTERVAL_SECONDS"]
    relayed = relay_pending(older_than_seconds=grace, limit=_RELAY_LIMIT)
    requeued = requeue_stalled(grace_seconds=max(grace * 2, 1.0))
    for job in current_app.extensions["sweeps"]:
        job()
    if relayed or requeued:
        log.info("sweep relayed %s events and requeued %s deliveries", relayed, requeued)
    if relayed < _RELAY_LIMIT:  # history waits while a backlog is relayed: owed work first
        deleted = purge_history()
        if any(deleted.values()):
            log.debug("sweep deleted expired history: %s", deleted)


def run_forever(app, stop):
    """Sweep every SWEEP_INTERVAL_SECONDS until `stop` is set (Huey's own periodic tasks run only once a minute)."""
    interval = app.config["SWEEP_INTERVAL_SECONDS"]
    while not stop.wait(interval):
        try:
            with app.app_context():
                sweep()
        except Exception:
            log.exception("sweep failed; trying again in %ss", interval)


def start(app):
    """Start the sweep in a daemon thread; return the event that stops it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="sweeper", daemon=True).start()
    return stop
