"""Fixtures for the platform tests: the test ledger subscribed in the test app and in real workers."""

import pytest

from app.platform import outbox


@pytest.fixture
def ledger_app(app):
    """Return the app with the ledger handlers subscribed, restored afterwards."""
    outbox.connect_recorder()
    events = app.extensions["dispatcher"]
    saved = {k: list(v) for k, v in events.by_type.items()}
    yield app
    events.by_type.clear()
    events.by_type.update(saved)


@pytest.fixture
def ledger_worker(worker_factory):
    """Return a function starting a real consumer with the named ledger handlers."""

    def start(*handlers, **overrides):
        return worker_factory(module="tests.integration.platform.ledger_worker",
                              LEDGER_HANDLERS=",".join(handlers or ("count_effect",)), **overrides)

    return start
