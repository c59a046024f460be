"""A real worker (`python -m app.worker` plus the test ledger's handlers), started by the platform tests."""

import os

from app import create_app
from app.worker import run
from tests.integration.platform import ledger

if __name__ == "__main__":
    app = create_app()
    names = os.environ.get("LEDGER_HANDLERS", "count_effect").split(",")
    ledger.subscribe(app, *(getattr(ledger, name) for name in names))
    run(app)
