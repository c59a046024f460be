"""Growth: 10,000 cycles of list → reserve → pay (every 4th cancels instead) through the JSON API, 8 clients at once.

The store is started as `make run` starts it, on its own (a fresh database, so its size is this benchmark's), with
EVENT_RETENTION_SECONDS=60 so that the sweep's retention acts during the run. Each client is a seller and a buyer:
the seller lists a ticket (POST /api/tickets); the buyer asks orders to reserve it until orders knows it (replica lag =
the listing's 201 → the first 201 of POST /api/orders, polled every 20 ms), then pays it through localstripe (POST
/api/payments with pm_card_visa, polled while payments does not know the order yet) or cancels it (DELETE
/api/orders/<id>).

Per window of 1,000 cycles (failed ones included; cycles/s counts those that finished): cycles/s, p50/p95 of each
request, the replica lag, the database on disk (the embedded SQLite file with its -wal and -shm), the documents per
platform collection (through a pymongo client to the store's MongoDB) and the CPU seconds each of the store's
processes used (web, worker, mongodb, localstripe: where the time went). Targets: the last window's cycles/s >= 80 %
of the first's; its replica lag p95 <= 1.25x the first's; the database size of the last three windows within 10 %.
"""

import itertools
import threading
import time

import psutil
import requests
from pymongo import MongoClient

from .common import create_accounts, ms, percentile, record, report, session_cookies
from .store import Store

RETENTION_SECONDS = 60
POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 120
PLATFORM_COLLECTIONS = ("platform_outbox", "platform_deliveries", "platform_inbox")
TARGET_RATE = 0.8
TARGET_LAG = 1.25
TARGET_SIZE = 0.10


class CycleFailed(Exception):
    """A cycle that got an answer it should never get, or none in time."""


class Client:
    """One of the concurrent users: a seller and a buyer, each with its own HTTP connection and session cookie."""

    def __init__(self, base, seller_cookie, buyer_cookie, cancel_every=4):
        self.base = base
        self.cancel_every = cancel_every
        self.seller, self.buyer = requests.Session(), requests.Session()
        self.seller.headers["Cookie"] = f"session={seller_cookie}"
        self.buyer.headers["Cookie"] = f"session={buyer_cookie}"

    def _call(self, http, method, path, samples, kind, **kwargs):
        started = time.perf_counter()
        try:
            try:
                response = http.request(method, self.base + path, timeout=60, **kwargs)
            except requests.ConnectionError:
                # gunicorn closes a keep-alive connection idle for 2 s: a request sent on it as it closes is reset.
                started = time.perf_counter()
                response = http.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException as exc:
            raise CycleFailed(f"{kind}: {exc!r}") from None
        samples.append((kind if response.status_code != 404 else f"{kind} (404, polled)",
                        time.perf_counter() - started))
        return response

    def _until_known(self, http, method, path, samples, kind, expected, **kwargs):
        """Repeat a request while it answers 404 (the context has not heard of the thing yet); return the answer."""
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            response = self._call(http, method, path, samples, kind, **kwargs)
            if response.status_code == expected:
                return response
            if response.status_code not in (404, 503) or time.monotonic() > deadline:
                raise CycleFailed(f"{kind}: {response.status_code} {response.text[:200]}")
            time.sleep(POLL_SECONDS)

    def cycle(self, n):
        """List, reserve and pay (or cancel, each `cancel_every`th) one ticket; return (request samples, lag)."""
        samples = []
        listed = self._call(self.seller, "POST", "/api/tickets", samples, "list",
                            json={"title": f"Growth gig #{n}", "price": "25.00"})
        if listed.status_code != 201:
            raise CycleFailed(f"list: {listed.status_code} {listed.text[:200]}")
        listed_at = time.perf_counter()
        order = self._until_known(self.buyer, "POST", "/api/orders", samples, "reserve", 201,
                                  json={"ticketId": listed.json()["id"]})
        lag = time.perf_counter() - listed_at
        order_id = order.json()["id"]
        if n % self.cancel_every == self.cancel_every - 1:
            cancelled = self._call(self.buyer, "DELETE", f"/api/orders/{order_id}", samples, "cancel")
            if cancelled.status_code != 204:
                raise CycleFailed(f"cancel: {cancelled.status_code} {cancelled.text[:200]}")
        else:
            self._until_known(self.buyer, "POST", "/api/payments", samples, "pay", 201,
                              json={"orderId": order_id, "token": "pm_card_visa"})
        return samples, lag


def _disk_bytes(store, suffixes=("", "-wal", "-shm")):
    """Return the size on disk of the store's embedded database (main file, -wal and -shm)."""
    total = 0
    for suffix in suffixes:
        path = store.instance / f"mongo.sqlite{suffix}"
        if path.exists():
            total += path.stat().st_size
    return total


def _cpu_seconds(store):
    """Return the CPU seconds used so far by each role of the store's processes (web, worker, mongodb, localstripe)."""
    used = {}
    for role, processes in store.processes().items():
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used[role] = used.get(role, 0) + times.user + times.system
    return used


class Windows:
    """The cycles' figures, closed into a window every `size` finished cycles."""

    def __init__(self, store, size, documents):
        self.store, self.size, self.documents = store, size, documents
        self.lock = threading.Lock()
        self.pending = []  # (samples, lag) of the open window's cycles
        self.closed = []
        self.failures = []
        self.started = self.last_close = time.monotonic()
        self.cpu = _cpu_seconds(store)

    def add(self, samples, lag, failure=None):
        """Record a finished (or failed) cycle; close the window (measuring the store) when it is full."""
        with self.lock:
            self.pending.append((samples, lag))
            if failure is not None:
                self.failures.append(failure)
            if len(self.pending) < self.size:
                return
            cycles, self.pending = self.pending, []
            now, since = time.monotonic(), self.last_close
            self.last_close = now
            number = len(self.closed) + 1
            cpu, self.cpu = self.cpu, _cpu_seconds(self.store)
        window = self._figures(number, cycles, now - since, {role: round(self.cpu.get(role, 0) - cpu.get(role, 0), 1)
                                                             for role in self.cpu})
        with self.lock:
            self.closed.append(window)
            self.closed.sort(key=lambda w: w["window"])
        _print_window(window)

    def _figures(self, number, cycles, seconds, cpu):
        by_kind = {}
        for samples, _ in cycles:
            for kind, took in samples:
                by_kind.setdefault(kind, []).append(took)
        lags = [lag for _, lag in cycles if lag is not None]
        try:
            names = sorted(self.documents.list_collection_names())
            counts = {name: self.documents[name].estimated_document_count() for name in names}
        except Exception as exc:  # noqa: BLE001 - a busy server timing a count out is a figure, not a crash
            counts = {"error": repr(exc)[:80]}
        return {
            "window": number, "cycles": number * self.size, "seconds": round(seconds, 1),
            "cycles_per_s": round(len(lags) / seconds, 2), "failed": len(cycles) - len(lags),
            "requests": {kind: {"n": len(v), "p50_ms": ms(percentile(v, 50)), "p95_ms": ms(percentile(v, 95))}
                         for kind, v in sorted(by_kind.items())},
            "replica_lag_p50_ms": ms(percentile(lags, 50)), "replica_lag_p95_ms": ms(percentile(lags, 95)),
            "db_bytes": _disk_bytes(self.store), "wal_bytes": _disk_bytes(self.store, ("-wal",)),
            "documents": {name: counts.get(name, 0) for name in PLATFORM_COLLECTIONS},
            "other_documents": sum(n for name, n in counts.items() if name not in PLATFORM_COLLECTIONS
                                   and isinstance(n, int)),
            "documents_by_collection": counts, "cpu_seconds": cpu,
            # On a shared machine the wall clock moves with the neighbours' load; the store's CPU per cycle does not.
            "cpu_ms_per_cycle": round(sum(cpu.values()) * 1000 / len(cycles)),
        }


def _print_window(w):
    requests_line = "  ".join(f"{kind} {r['p50_ms']}/{r['p95_ms']}" for kind, r in w["requests"].items())
    counts = "  ".join(f"{name.removeprefix('platform_')} {n}" for name, n in w["documents"].items())
    cpu = "  ".join(f"{role} {seconds}" for role, seconds in w["cpu_seconds"].items())
    print(f"  window {w['window']:>3} ({w['cycles']:>6} cycles, {w['seconds']:>6} s): {w['cycles_per_s']:6.2f} "
          f"cycles/s  lag p50/p95 {w['replica_lag_p50_ms']}/{w['replica_lag_p95_ms']} ms  "
          f"db {w['db_bytes'] / 2**20:.1f} MiB  docs: {counts}  others {w['other_documents']}"
          f"{'  FAILED ' + str(w['failed']) if w['failed'] else ''}\n"
          f"      ms p50/p95: {requests_line}\n      cpu s: {cpu}  ({w['cpu_ms_per_cycle']} ms per cycle)", flush=True)


def targets(windows):
    """Return {target: (met, how)} for the first and last windows' figures."""
    first, last = windows[0], windows[-1]
    rate = last["cycles_per_s"] / first["cycles_per_s"] if first["cycles_per_s"] else None
    lag = (last["replica_lag_p95_ms"] / first["replica_lag_p95_ms"]) if first["replica_lag_p95_ms"] else None
    cpu = last["cpu_ms_per_cycle"] / first["cpu_ms_per_cycle"] if first["cpu_ms_per_cycle"] else None
    sizes = [w["db_bytes"] for w in windows[-3:]]
    spread = (max(sizes) - min(sizes)) / min(sizes) if len(sizes) == 3 and min(sizes) else None
    return {
        "throughput_last_vs_first": (rate is not None and rate >= TARGET_RATE,
                                     f"{rate:.0%} (target >= {TARGET_RATE:.0%})" if rate is not None else "n/a"),
        "replica_lag_p95_last_vs_first": (lag is not None and lag <= TARGET_LAG,
                                          f"{lag:.2f}x (target <= {TARGET_LAG}x)" if lag is not None else "n/a"),
        # Not one of the targets: the same question as the first, asked of the CPU the store spent per cycle.
        "store_cpu_per_cycle_last_vs_first": (cpu is not None and cpu <= 1 / TARGET_RATE,
                                              f"{cpu:.2f}x (<= {1 / TARGET_RATE:.2f}x)" if cpu is not None else "n/a"),
        "db_size_last_three_windows": (spread is not None and spread <= TARGET_SIZE,
                                       f"within {spread:.1%} (target <= {TARGET_SIZE:.0%})" if spread is not None
                                       else "needs three windows"),
    }


def run(cycles=10_000, window=1_000, clients=8, cancel_every=4):
    """Start a store with a short retention, run the cycles through the JSON API, print and record each window.

    cancel_every=1 cancels every reservation: the store's own path, without localstripe (whose cost grows with the
    payments it holds).
    """
    store = Store(web_workers=2, EVENT_RETENTION_SECONDS=RETENTION_SECONDS)
    started = time.monotonic()
    try:
        store.start()
        print(f"\n== growth: store up at {store.base} with EVENT_RETENTION_SECONDS={RETENTION_SECONDS} in "
              f"{time.monotonic() - started:.1f} s; {cycles} cycles, {clients} clients, windows of {window}",
              flush=True)
        app = store.app()
        sellers = session_cookies(app, create_accounts(app, "growth-seller", clients))
        buyers = session_cookies(app, create_accounts(app, "growth-buyer", clients))
        store.settle()
        mongo = MongoClient(store.mongodb_uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000)
        windows = Windows(store, window, mongo.get_default_database())
        numbers = itertools.count()
        stop = threading.Event()

        def client_loop(client):
            while not stop.is_set():
                n = next(numbers)
                if n >= cycles:
                    return
                try:
                    windows.add(*client.cycle(n))
                except CycleFailed as exc:
                    windows.add([], None, f"cycle {n}: {exc}")
                    if len(windows.failures) > max(20, cycles // 100):
                        stop.set()  # the store is broken: report what there is instead of hammering it

        threads = [threading.Thread(target=client_loop, args=(Client(store.base, s, b, cancel_every),),
                                    name=f"growth-{i}") for i, (s, b) in enumerate(zip(sellers, buyers, strict=True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - windows.started
        mongo.close()
    finally:
        store.stop()
    return _report(windows, cycles, window, clients, elapsed, cancel_every)


def _report(windows, cycles, window, clients, elapsed, cancel_every):
    closed = windows.closed
    met = targets(closed) if closed else {}
    figures = {
        "cycles": cycles, "window": window, "clients": clients, "cancel_every": cancel_every,
        "retention_seconds": RETENTION_SECONDS,
        "seconds": round(elapsed, 1), "failed_cycles": len(windows.failures), "failures": windows.failures[:10],
        "windows": closed, "targets": {name: {"met": ok, "value": how} for name, (ok, how) in met.items()},
    }
    what = "cancel" if cancel_every == 1 else f"pay (every {cancel_every}th cancels)"
    report(f"growth ({cycles} cycles of list → reserve → {what}, {clients} clients, windows of {window})", [
        ("run", f"{elapsed:.0f} s, {len(closed)} windows, {len(windows.failures)} failed cycles"),
        *[(f"first failure{'' if i == 0 else f' {i + 1}'}", failure) for i, failure in enumerate(windows.failures[:3])],
        *[(name, f"{'PASS' if ok else 'MISS'}  {how}") for name, (ok, how) in met.items()],
    ])
    record("growth", figures)
    return figures
