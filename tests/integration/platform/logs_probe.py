"""Run one request and the event it causes in a fresh process, so a test can read that process's log lines."""

import logging

from app import create_app
from migrations.runner import upgrade
from tests.servers import drain, sign_in


def main():
    """Create a ticket through the API with a known request id, then relay and apply its event."""
    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade(app.extensions["mongo"].db, app.config["CONTEXTS"])
    client = app.test_client()
    sign_in(client)
    client.post("/api/tickets", json={"title": "Probe", "price": 5}, headers={"X-Request-ID": "probe-request-1"})
    with app.app_context():
        drain(app)
        logging.getLogger("huey").info("a per-task line Huey would print")


if __name__ == "__main__":
    main()
