"""Fixtures of the payments tests: a real localstripe, the app pointed at it, and a live HTTP server for webhooks."""

import threading

import pytest
import stripe
from werkzeug.serving import make_server

from app.platform import localstripe
from app.platform.embedded import free_port
from tests.integration.payments.support import WEBHOOK_SECRET


@pytest.fixture(scope="session")
def localstripe_server(out_dir):
    """Start one localstripe for the session, on a free port."""
    server = localstripe.start(free_port(), log_path=out_dir / "localstripe.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_env(localstripe_server):
    """Return the STRIPE_* settings (demo mode: no secret key) that point the app and workers at localstripe."""
    return {"STRIPE_SECRET_KEY": "", "STRIPE_API_BASE": localstripe_server.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_TIMEOUT_SECONDS": "3"}


@pytest.fixture(autouse=True)
def stripe_app(app, stripe_env, localstripe_server):
    """Return the app configured for localstripe, whose data is wiped for this test."""
    localstripe.reset(localstripe_server.url)
    app.config.update({k: (float(v) if k == "STRIPE_TIMEOUT_SECONDS" else v) for k, v in stripe_env.items()})
    return app


@pytest.fixture
def worker(app, worker_factory, stripe_env):
    """Start a real Huey consumer that talks to the session's localstripe."""
    return worker_factory(**stripe_env)


@pytest.fixture(scope="session")
def live_server_url(_session_app, localstripe_server):
    """Serve the session app over HTTP in a thread and register its webhook with localstripe; return its URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, _session_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="payments-live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    localstripe.register_webhook(localstripe_server.url, f"{url}/api/payments/webhook", WEBHOOK_SECRET,
                                 events=["payment_intent.succeeded", "payment_intent.payment_failed"])
    yield url
    server.shutdown()
    thread.join(5)


@pytest.fixture
def stripe_client(localstripe_server):
    """Return a StripeClient for looking at localstripe from the test's side."""
    return stripe.StripeClient("sk_test_inspector", base_addresses={"api": localstripe_server.url},
                               max_network_retries=0)
