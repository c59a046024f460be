"""Metrics: /metrics in Prometheus' text format, to loopback or a token bearer, moving when their thing happens."""

import time

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.platform import ledger
from tests.servers import drain


def _samples(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_request_is_counted_by_route_and_timed(client):
    before = _samples(client)
    assert client.get("/healthz").status_code == 200
    after = _samples(client)
    key = {"method": "GET", "route": "/healthz", "status": "200"}
    assert _value(after, "ticketing_http_requests_total", **key) == _value(before, "ticketing_http_requests_total",
                                                                           **key) + 1
    assert _value(after, "ticketing_http_request_duration_seconds_count", route="/healthz") == _value(
        before, "ticketing_http_request_duration_seconds_count", route="/healthz") + 1


def test_metrics_are_refused_from_elsewhere_without_the_token(app, client):
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=elsewhere).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics", environ_base=elsewhere,
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    allowed = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer s3cret-token"})
    assert allowed.status_code == 200 and b"ticketing_http_requests_total" in allowed.data


def test_an_event_delivered_late_shows_in_the_lag_and_committed_counts(ledger_app, client, db):
    ledger.subscribe(ledger_app, ledger.count_effect)
    handler = "tests.integration.platform.ledger.count_effect"
    before = _samples(client)
    with ledger_app.app_context():
        ledger.record_entry()
        ledger_app.extensions["huey"].storage.flush_queue()  # the hint is lost: the event waits
        time.sleep(0.6)
        from app.platform.relay import relay_pending

        relay_pending()
    after = _samples(client)
    count = "ticketing_event_delivery_lag_seconds_count"
    assert _value(after, count, handler=handler) == _value(before, count, handler=handler) + 1
    lag = (_value(after, "ticketing_event_delivery_lag_seconds_sum", handler=handler)
           - _value(before, "ticketing_event_delivery_lag_seconds_sum", handler=handler))
    assert lag >= 0.6
    assert _value(after, "ticketing_events_committed_total", type=ledger.EntryRecorded.type) == _value(
        before, "ticketing_events_committed_total", type=ledger.EntryRecorded.type) + 1


def test_a_dead_delivery_shows_as_owed_work_and_failures(ledger_app, client, db):
    ledger.subscribe(ledger_app, ledger.poison)
    ledger_app.config["DELIVERY_MAX_ATTEMPTS"] = 1
    db.test_switches.insert_one({"_id": "poison", "on": True})
    handler = "tests.integration.platform.ledger.poison"
    before = _samples(client)
    assert _value(before, "ticketing_deliveries", status="dead") == 0
    with ledger_app.app_context():
        ledger.record_entry()
        drain(ledger_app)
    after = _samples(client)
    assert _value(after, "ticketing_deliveries", status="dead") == 1
    assert _value(after, "ticketing_deliveries", status="pending") == 0
    assert _value(after, "ticketing_outbox_unrelayed") == 0
    failures = "ticketing_event_handler_failures_total"
    assert _value(after, failures, handler=handler) >= _value(before, failures, handler=handler) + 2  # relay, retry
