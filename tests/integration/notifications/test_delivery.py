"""Every email sent exactly once: a redelivered event sends no second one, an SMTP outage delays and loses none, a dead
email is revived, a lost task is found again, an address that arrives late is still used."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.auth.events import UserRegistered
from app.notifications import handlers
from app.orders.events import OrderCancelled, OrderCreated
from app.platform.errors import EventNotReadyError
from app.platform.uow import run_in_transaction
from tests.integration.notifications.support import signed_up
from tests.servers import wait_until

pytestmark = pytest.mark.consumer


def _deliver(app, handler, event):
    """Run a handler in its own transaction, as a delivery does (without the inbox: as if it had been lost)."""
    with app.app_context():
        run_in_transaction(handler, event)


def _emails(db, **query):
    return list(db.notifications_emails.find(query))


def _mail(app, *args):
    result = app.test_cli_runner().invoke(args=["mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_event_delivered_twice_sends_one_email(app, db, mail_server, worker):
    event = UserRegistered(aggregate_id=str(ObjectId()), version=0, email="twice@example.com")

    _deliver(app, handlers.on_user_registered, event)
    _deliver(app, handlers.on_user_registered, event)

    mail_server.wait_for(to="twice@example.com")
    mail_server.settle()
    assert len(mail_server.messages(to="twice@example.com")) == 1
    [email] = _emails(db, user_id=event.aggregate_id)
    assert email["status"] == "sent" and email["attempts"] == 1
    assert email["key"] == f"{event.id}:{event.aggregate_id}:welcome"
    # A sent email keeps its envelope, not its body.
    assert email["to"] == "twice@example.com" and email["subject"] and email["sent_at"]
    assert "text" not in email and "html" not in email


def test_an_smtp_server_down_for_seconds_delays_the_email_and_sends_it_once(app, db, mail_server, worker):
    mail_server.stop()
    _client, email_address, user_id = signed_up(app)

    # While the server is down, the email is tried again and again, and stays owed.
    tried = wait_until(lambda: (docs := _emails(db, user_id=user_id)) and docs[0]["attempts"] >= 3
                       and docs[0].get("last_error") and docs[0], timeout=20, message="several failed attempts")
    assert tried["status"] == "pending" and "Connection refused" in tried["last_error"]
    assert mail_server.messages() == []

    mail_server.start()

    mail_server.wait_for(to=email_address, subject="Welcome")
    mail_server.settle()
    assert len(mail_server.messages(to=email_address)) == 1
    [sent] = _emails(db, user_id=user_id)
    assert sent["status"] == "sent" and sent["last_error"] is None and sent["sent_at"] is not None


def test_a_dead_email_is_shown_and_revived(app, db, mail_server, mail_env, worker_factory):
    mail_server.stop()
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    worker_factory(**mail_env | {"MAIL_MAX_ATTEMPTS": "2", "MAIL_BACKOFF_SECONDS": "0.2"})
    _client, email_address, user_id = signed_up(app)

    dead = wait_until(lambda: (docs := _emails(db, user_id=user_id, status="dead")) and docs[0], timeout=20,
                      message="the email to be dead")
    assert dead["attempts"] == 2
    status = _mail(app, "status")
    assert "dead: 1" in status and "sent: 0" in status
    assert f"dead {dead['_id']} (welcome to {email_address}) after 2 attempts" in status
    assert "Connection refused" in status
    mail_server.start()
    mail_server.settle(1.0)
    assert mail_server.messages() == []  # dead means nobody tries it any more

    assert _mail(app, "retry", "--dead").strip() == "queued 1 emails"

    mail_server.wait_for(to=email_address, subject="Welcome")
    mail_server.settle()
    assert len(mail_server.messages(to=email_address)) == 1
    assert "sent: 1" in _mail(app, "status") and "dead: 0" in _mail(app, "status")


def test_an_email_whose_task_was_lost_is_sent_by_the_sweep(app, db, mail_server, worker_factory, mail_env):
    event = UserRegistered(aggregate_id=str(ObjectId()), version=0, email="lost@example.com")
    _deliver(app, handlers.on_user_registered, event)
    huey = app.extensions["huey"]
    assert huey.pending_count() == 1
    huey.storage.flush_queue()  # a flushed Redis, or a worker killed with the task in hand

    worker_factory(**mail_env)

    mail_server.wait_for(to="lost@example.com", timeout=20)
    assert [e["status"] for e in _emails(db, user_id=event.aggregate_id)] == ["sent"]


def test_an_email_written_before_its_address_was_known_goes_out_once_the_address_arrives(app, db, mail_server,
                                                                                        worker):
    """In split mode a buyer's order can reach notifications before their registration does."""
    user_id = str(ObjectId())
    order_id = str(ObjectId())
    expires = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    _deliver(app, handlers.on_order_created, OrderCreated(
        aggregate_id=order_id, version=0, user_id=user_id, status="created", expires_at=expires,
        ticket_id=str(ObjectId()), price=1500, currency="EUR", title="Berlin Philharmonic"))
    failed = wait_until(lambda: (docs := _emails(db, user_id=user_id)) and docs[0].get("last_error") and docs[0],
                        timeout=15, message="a first attempt without an address")
    assert "no address is known" in failed["last_error"] and failed["status"] == "pending"

    _deliver(app, handlers.on_user_registered, UserRegistered(aggregate_id=user_id, version=0,
                                                              email="late@example.com"))

    [held] = mail_server.wait_for(to="late@example.com", subject="Reserved for you")
    assert "Berlin Philharmonic" in held.subject and "€15.00" in held.text


def test_news_of_an_order_placed_before_notifications_listened_waits_a_while_then_is_let_go(app, db):
    user_id = str(ObjectId())
    fresh = OrderCancelled(aggregate_id=str(ObjectId()), version=1, user_id=user_id, ticket_id=str(ObjectId()),
                           reason="expired")
    with pytest.raises(EventNotReadyError):
        _deliver(app, handlers.on_order_cancelled, fresh)  # its creation may still be on its way: wait for it

    old = OrderCancelled(aggregate_id=str(ObjectId()), version=1, user_id=user_id, ticket_id=str(ObjectId()),
                         reason="expired", occurred_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    _deliver(app, handlers.on_order_cancelled, old)  # no creation will ever come: nothing to say, and no error

    assert _emails(db) == []
