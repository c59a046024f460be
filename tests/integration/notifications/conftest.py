"""Fixtures of the notifications tests: a real SMTP server, localstripe, and the app and workers pointed at both."""

import pytest

from app.platform import localstripe
from app.platform.embedded import free_port

PUBLIC_URL = "http://shop.test:8080"


@pytest.fixture(scope="session")
def notifications_stripe(out_dir):
    """Start one localstripe for these tests, on a free port."""
    server = localstripe.start(free_port(), log_path=out_dir / "notifications-localstripe.log")
    yield server
    server.stop()



@pytest.fixture
def mail_env(mail_server, notifications_stripe):
    """Return the settings that point the app and its workers at this test's SMTP server and localstripe."""
    return {**mail_server.env, "PUBLIC_URL": PUBLIC_URL, "MAIL_BACKOFF_SECONDS": "0.3", "MAIL_MAX_ATTEMPTS": "6",
            "STRIPE_SECRET_KEY": "", "STRIPE_API_BASE": notifications_stripe.url, "STRIPE_TIMEOUT_SECONDS": "3"}


@pytest.fixture(autouse=True)
def mail_app(app, mail_env):
    """Return the app configured like the workers of this test."""
    from app.config import coerce

    app.config.update(coerce(mail_env))
    return app


@pytest.fixture
def worker(mail_app, worker_factory, mail_env):
    """Start a real Huey consumer that sends through this test's SMTP server."""
    return worker_factory(**mail_env)
