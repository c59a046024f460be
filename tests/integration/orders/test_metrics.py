"""Orders' metrics: outcomes counted once committed, and how late each expiry ran."""

import time

import pytest
from bson import ObjectId
from prometheus_client.parser import text_string_to_metric_families

from app.orders import services
from app.orders.errors import TicketAlreadyReservedError
from tests.integration.tickets.support import list_ticket


def _samples(client):
    samples = {}
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _get(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def ticket_id(app):
    with app.app_context():
        return list_ticket(app, str(ObjectId()), "Concert", 20)


def test_an_expiry_counts_its_outcome_and_its_lateness(app, client, ticket_id):
    before = _samples(client)
    app.config["ORDER_EXPIRATION_SECONDS"] = 0
    with app.app_context():
        order_id = str(services.place_order(str(ObjectId()), ticket_id).id)
        time.sleep(0.3)  # the timer runs late
        assert services.expire_order(order_id) is True
        assert services.expire_order(order_id) is False  # a second timer changes nothing, counts nothing
    after = _samples(client)
    for outcome, more in (("placed", 1), ("expired", 1), ("cancelled", 0), ("completed", 0)):
        assert _get(after, "ticketing_orders_total", outcome=outcome) == _get(
            before, "ticketing_orders_total", outcome=outcome) + more, outcome
    assert _get(after, "ticketing_order_expiry_lateness_seconds_count") == _get(
        before, "ticketing_order_expiry_lateness_seconds_count") + 1
    late = (_get(after, "ticketing_order_expiry_lateness_seconds_sum")
            - _get(before, "ticketing_order_expiry_lateness_seconds_sum"))
    assert 0.3 <= late < 5


def test_a_refused_reservation_counts_nothing(app, client, ticket_id):
    with app.app_context():
        services.place_order(str(ObjectId()), ticket_id)
    before = _get(_samples(client), "ticketing_orders_total", outcome="placed")
    with app.app_context(), pytest.raises(TicketAlreadyReservedError):
        services.place_order(str(ObjectId()), ticket_id)
    assert _get(_samples(client), "ticketing_orders_total", outcome="placed") == before
