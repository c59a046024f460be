"""Prometheus metrics: what the store is doing, scraped at GET /metrics (loopback only, or METRICS_TOKEN as bearer).

Several processes serve one store (gunicorn's workers, the Huey worker), so metrics use prometheus_client's
multiprocess mode whenever PROMETHEUS_MULTIPROC_DIR is set (`make run` and the image set it to a folder they empty at
start): each process writes its samples there and /metrics adds them up. Without it a process reports its own.
Counts of owed work (unrelayed events, pending and dead deliveries) are read from MongoDB at scrape time.
"""

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from . import uow
from .mongo import count

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)

http_requests = Counter("ticketing_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
http_duration = Histogram("ticketing_http_request_duration_seconds", "Time to answer an HTTP request.", ["route"],
                          buckets=_LATENCY_BUCKETS)
events_committed = Counter("ticketing_events_committed_total", "Events committed to the outbox.", ["type"])
delivery_lag = Histogram("ticketing_event_delivery_lag_seconds", "Event committed -> applied by a handler.",
                         ["handler"], buckets=_LAG_BUCKETS)
handler_failures = Counter("ticketing_event_handler_failures_total", "Handler attempts that failed.", ["handler"])
expiry_lateness = Histogram("ticketing_order_expiry_lateness_seconds", "Order due to expire -> expired.",
                            buckets=_LAG_BUCKETS)
orders = Counter("ticketing_orders_total", "Orders by what became of them.", ["outcome"])
payments = Counter("ticketing_payments_total", "Payment attempts and refunds by outcome.", ["outcome"])

bp = Blueprint("metrics", __name__)


def count_after_commit(counter, **labels):
    """Count one on `counter` once the open unit of work commits (never for a rolled-back attempt)."""
    uow.current().after_commit(None, lambda: counter.labels(**labels).inc())


def observe_after_commit(histogram, value, **labels):
    """Observe `value` on `histogram` once the open unit of work commits."""
    metric = histogram.labels(**labels) if labels else histogram
    uow.current().after_commit(None, lambda: metric.observe(value))


def init_app(app):
    """Time and count every request, and serve /metrics."""
    app.after_request(_record_request)
    app.register_blueprint(bp)


def _record_request(response):
    started = g.get("request_started")
    if started is None or request.endpoint == "metrics.scrape":
        return response
    # The rule, not the path: /api/orders/<id> is one series, whatever ids are asked for.
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    http_requests.labels(request.method, route, str(response.status_code)).inc()
    http_duration.labels(route).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
def scrape():
    """Answer the Prometheus text format to loopback or to a bearer of METRICS_TOKEN; 404 to anyone else."""
    if not _allowed():
        from werkzeug.exceptions import NotFound

        raise NotFound()
    owed = CollectorRegistry()
    owed.register(_OwedWork(current_app.extensions["mongo"].db))
    return Response(generate_latest(_samples()) + generate_latest(owed), mimetype=CONTENT_TYPE_LATEST)


def _allowed():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _samples():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


class _OwedWork:
    """Owed work read from MongoDB at scrape time: the same in every process, so never summed across them."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        from .documents import Delivery, OutboxEvent

        unrelayed = GaugeMetricFamily("ticketing_outbox_unrelayed", "Committed events not relayed yet.")
        unrelayed.add_metric([], count(self.db[OutboxEvent._get_collection_name()], {"relayed": False}))
        yield unrelayed
        deliveries = GaugeMetricFamily("ticketing_deliveries", "Deliveries still owed, by status.", labels=["status"])
        for status in ("pending", "dead"):
            deliveries.add_metric([status], count(self.db[Delivery._get_collection_name()], {"status": status}))
        yield deliveries

