"""The NATS JetStream transport against the real nats-server: publish once per event, consume into deliveries."""

import json
import time

import nats.errors
import nats.js.errors
import pytest

from app.platform.dispatcher import Dispatcher, context_of
from app.platform.nats_transport import NatsTransport
from app.platform.relay import outbox_status
from app.tickets.events import TicketCreated
from tests.integration.split.conftest import jetstream
from tests.servers import wait_until

MAX_DELIVER = 3


def _handler(name):
    def handler(event):
        raise RuntimeError("this handler fails, so each event it is handed becomes a pending delivery")

    # Named as an orders handler so that the transport files it under the `orders` consumer.
    handler.__module__ = "app.orders.handlers"
    handler.__qualname__ = name
    return handler


@pytest.fixture
def nats_app(app, nats_settings, monkeypatch):
    """Return the test app configured for this test's stream, with one orders handler on ticket_created."""
    app.config.update(nats_settings, NATS_MAX_DELIVER=MAX_DELIVER, NATS_TIMEOUT_SECONDS=3.0,
                      DELIVERY_BACKOFF_SECONDS=0.1)
    events = Dispatcher()
    events.subscribe(TicketCreated.type, _handler("split_test_handler"))
    events.transport = app.extensions["dispatcher"].transport
    monkeypatch.setitem(app.extensions, "dispatcher", events)
    return app


@pytest.fixture
def transports():
    """Return a list to put transports in; each is closed after the test."""
    started = []
    yield started
    for transport in started:
        transport.close()


def _event(**overrides):
    fields = {"aggregate_id": "6650f0c2a1b2c3d4e5f60718", "version": 0, "title": "Concert", "price": 2000,
              "currency": "USD", "user_id": "6650f0c2a1b2c3d4e5f60719"}
    return TicketCreated(**(fields | overrides))


def _stream_messages(settings):
    async def read(js):
        info = await js.stream_info(settings["NATS_STREAM"])
        return [await js.get_msg(settings["NATS_STREAM"], seq) for seq in
                range(info.state.first_seq, info.state.last_seq + 1)] if info.state.messages else []

    return jetstream(settings["NATS_URL"], read)


def _consumer(settings, name):
    return jetstream(settings["NATS_URL"], lambda js: js.consumer_info(settings["NATS_STREAM"], name))


def _consumed(settings, name, last_seq):
    """Return whether the consumer exists, got up to stream sequence `last_seq` and has nothing unacknowledged."""
    try:
        info = _consumer(settings, name)
    except nats.js.errors.NotFoundError:
        return False  # not created yet
    return info.delivered.stream_seq >= last_seq and info.num_ack_pending == 0


def test_publishing_an_event_twice_stores_it_once(nats_app, nats_settings, transports):
    """Publish one event twice and find it in the stream once, under its type's subject, with its id as message id."""
    transport = NatsTransport(nats_app)
    transports.append(transport)
    event = _event()

    first = transport.publish(event.to_dict())
    second = transport.publish(event.to_dict())

    assert (bool(first.duplicate), second.duplicate) == (False, True)
    messages = _stream_messages(nats_settings)
    assert len(messages) == 1
    assert messages[0].subject == f"{nats_settings['NATS_SUBJECT_PREFIX']}.tickets.ticket_created.v1"
    assert messages[0].headers["Nats-Msg-Id"] == event.id
    assert json.loads(messages[0].data) == event.to_dict()


def test_publish_raises_when_nats_is_unreachable(nats_app, transports):
    """Fail loudly and quickly when nothing listens at NATS_URL, so the relay leaves the event pending."""
    from app.platform.embedded import free_port

    nats_app.config.update(NATS_URL=f"nats://127.0.0.1:{free_port()}", NATS_TIMEOUT_SECONDS=1.0)
    transport = NatsTransport(nats_app)
    transports.append(transport)

    with pytest.raises((TimeoutError, OSError, nats.errors.Error)):
        transport.publish(_event().to_dict())


def test_a_worker_starts_and_stops_promptly_while_nats_is_unreachable(nats_app, transports):
    """Start consuming without NATS (the consumers keep retrying in the background) and close within seconds."""
    from app.platform.embedded import free_port

    nats_app.config.update(NATS_URL=f"nats://127.0.0.1:{free_port()}", NATS_TIMEOUT_SECONDS=1.0)
    transport = NatsTransport(nats_app)
    started = time.monotonic()

    transport.start_consuming()
    transport.close()

    assert time.monotonic() - started < 5


def test_consumer_turns_each_event_into_one_delivery_per_handler(nats_app, nats_settings, db, transports):
    """Consume an event published twice (once past the duplicate window) into one pending delivery, then ack it."""
    transport = NatsTransport(nats_app)
    transports.append(transport)
    event = _event()
    transport.publish(event.to_dict())
    # A republish that the stream did not drop (say, after the duplicate window) still makes no second delivery.
    jetstream(nats_settings["NATS_URL"], lambda js: js.publish(
        transport.subject(event.type), json.dumps(event.to_dict()).encode(), headers={"Nats-Msg-Id": "other"}))

    transport.start_consuming()

    wait_until(lambda: _consumed(nats_settings, "orders", 2), timeout=15, message="both messages acknowledged")
    deliveries = list(db.platform_deliveries.find())
    assert [(d["_id"], d["status"]) for d in deliveries] == [
        (f"{event.id}:app.orders.handlers.split_test_handler", "pending")]
    assert _consumer(nats_settings, "orders").config.durable_name == "orders"


class _AlwaysFailing(NatsTransport):
    def accept(self, data, context=None):
        raise RuntimeError("the database refused the delivery")


def test_a_message_that_always_fails_is_dead_after_max_deliver_and_visible(nats_app, nats_settings, db, transports):
    """Give up on a message after NATS_MAX_DELIVER tries and show it as a dead delivery in `outbox status`."""
    transport = _AlwaysFailing(nats_app)
    transports.append(transport)
    event = _event()
    transport.publish(event.to_dict())

    transport.start_consuming()

    dead = wait_until(lambda: db.platform_deliveries.find_one({"status": "dead"}), timeout=20,
                      message="a dead delivery")
    assert dead["_id"] == f"{event.id}:app.orders.handlers.split_test_handler"
    assert dead["attempts"] == MAX_DELIVER
    assert "RuntimeError: the database refused the delivery" in dead["last_error"]
    assert dead["payload"] == event.to_dict()
    with nats_app.app_context():
        status = outbox_status()
    assert status["dead"] == 1
    assert status["dead_deliveries"][0]["id"] == dead["_id"]
    # Terminated in NATS: nothing is redelivered any more.
    wait_until(lambda: _consumed(nats_settings, "orders", 1), timeout=10, message="the message terminated")
    assert _consumer(nats_settings, "orders").num_redelivered == 0


def test_an_undecodable_message_is_dead_and_visible(nats_app, nats_settings, db, transports):
    """Record a message that is not an event as dead (with its raw text) instead of retrying it forever."""
    transport = NatsTransport(nats_app)
    transports.append(transport)
    transport.publish(_event().to_dict())  # creates the stream
    jetstream(nats_settings["NATS_URL"], lambda js: js.publish(transport.subject(TicketCreated.type), b"not json"))

    transport.start_consuming()

    dead = wait_until(lambda: db.platform_deliveries.find_one({"status": "dead"}), timeout=20,
                      message="a dead delivery")
    assert dead["_id"] == f"nats:{nats_settings['NATS_STREAM']}:2:orders"
    assert dead["payload"]["raw"] == "not json"
    assert dead["attempts"] == MAX_DELIVER
    assert db.platform_deliveries.count_documents({"status": "pending"}) == 1  # the good event went through


def test_handlers_belong_to_the_context_of_their_module():
    """File handlers under the context named by their module path."""
    assert context_of("app.orders.handlers.on_ticket_created") == "orders"
    assert context_of("tests.ledger.count") is None
