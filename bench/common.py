"""What every benchmark shares: percentiles, the machine description, the results file, wrk, accounts."""

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def percentile(values, p):
    """Return the p-th percentile (0-100) of values by nearest rank, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ms(seconds):
    """Return seconds as milliseconds rounded for a report (None stays None)."""
    return None if seconds is None else round(seconds * 1000, 1)


def machine():
    """Describe this machine: CPU, cores, memory, OS, Python, load when asked, and the code's commit."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=RESULTS.parent.parent, timeout=5, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                               cwd=RESULTS.parent.parent, timeout=5, check=False).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(), "python": sys.version.split()[0], "load_avg": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
    }


def record(name, figures, note=None):
    """Append one benchmark's figures with the machine description to bench/results.jsonl."""
    line = {"benchmark": name, "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
            "figures": figures}
    if note:
        line["note"] = note
    with open(RESULTS, "a") as out:
        out.write(json.dumps(line) + "\n")
    return line


def report(title, rows):
    """Print a benchmark's figures as aligned `name: value` lines."""
    print(f"\n== {title}", flush=True)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}", flush=True)


def ratio(value, ceiling):
    """Return value / ceiling as a fraction rounded to 3 places (None if either is missing)."""
    if not value or not ceiling:
        return None
    return round(value / ceiling, 3)


# --- wrk ---------------------------------------------------------------------------------------------------------

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url, seconds=10, connections=32, threads=1, headers=None):
    """Load one URL with wrk; return {rps, p50_ms, p99_ms, requests, errors}."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (make bench does it)")
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _seconds(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))
    p99 = _seconds(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return {"rps": round(rps, 1), "p50_ms": ms(p50), "p99_ms": ms(p99), "requests": total, "errors": errors}


# --- memory ------------------------------------------------------------------------------------------------------


class MemorySampler:
    """Sample the RSS of the store's processes in the background; keep each role's peak (summed over its processes)."""

    def __init__(self, store, interval=0.25):
        self.store = store
        self.interval = interval
        self.peaks = {}
        self.peak_per_process = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def start(self):
        """Start sampling."""
        self._thread.start()
        return self

    def stop(self):
        """Stop sampling and return {role: peak RSS in MiB}."""
        self._stop.set()
        self._thread.join(5)
        return {role: round(peak / 2**20, 1) for role, peak in self.peaks.items()}

    def sample(self):
        """Take one sample now."""
        for role, procs in self.store.processes().items():
            total = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                key = (role, proc.pid)
                self.peak_per_process[key] = max(self.peak_per_process.get(key, 0), rss)
            if procs:
                self.peaks[role] = max(self.peaks.get(role, 0), total)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


# --- accounts ------------------------------------------------------------------------------------------------------

BENCH_PASSWORD = "bench-password-1"


def create_accounts(app, prefix, count, threads=4):
    """Create `count` real accounts through auth's service (one scrypt hash shared, computed once); return users."""
    from concurrent.futures import ThreadPoolExecutor

    from app.auth import services as auth
    from app.auth.models import User

    password_hash = auth.hash_password(BENCH_PASSWORD)
    stamp = int(time.time() * 1000)

    def create(i):
        with app.app_context():
            # auth's own use case behind register_user, minus the 85 ms of scrypt per account.
            return auth._create_user(f"{prefix}{i}-{stamp}@bench.example", password_hash)

    with ThreadPoolExecutor(threads) as pool:
        users = list(pool.map(create, range(count)))
    assert all(isinstance(u, User) for u in users)
    return users


def session_cookies(app, users):
    """Return a signed session cookie value per user, exactly what sign-in writes into the session."""
    from flask import session

    from app.auth.sessions import sign_in

    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    for user in users:
        with app.test_request_context("/api/users/signin", method="POST"):
            sign_in(user)
            cookies.append(serializer.dumps(dict(session)))
    return cookies


def scrape(store):
    """Return the store's /metrics samples as {(name, sorted label pairs): value}."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{store.url}/metrics", timeout=10).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def histogram_delta(before, after, name, **labels):
    """Return (observations, mean) of a histogram between two scrapes."""
    key = tuple(sorted(labels.items()))
    count = after.get((f"{name}_count", key), 0.0) - before.get((f"{name}_count", key), 0.0)
    total = after.get((f"{name}_sum", key), 0.0) - before.get((f"{name}_sum", key), 0.0)
    return int(count), (total / count if count else None)


def agreement(own_mean, metric_mean, tolerance=0.25, floor=0.05):
    """Return whether a mean read from /metrics agrees with the benchmark's own (within 25 % or 50 ms)."""
    if own_mean is None or metric_mean is None:
        return False
    return abs(own_mean - metric_mean) <= max(floor, tolerance * own_mean)


def find_in(collection, field, values, query=None, projection=None, chunk=200):
    """Return the documents whose `field` is in `values`, asking in chunks (the embedded server caps $in's size)."""
    values = list(values)
    found = []
    for start in range(0, len(values), chunk):
        found.extend(collection.find({**(query or {}), field: {"$in": values[start:start + chunk]}}, projection))
    return found


def best_rate(operation, seconds=3.0, threads=(1, 4)):
    """Run operation() in a loop from each number of threads for `seconds`; return (best ops/s, {threads: ops/s}).

    operation() returns whether it counts (a transaction refused for contention does not).
    """
    measured = {}
    for n in threads:
        done = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def loop(stop_at=stop_at, lock=lock, done=done):
            count = 0
            while time.monotonic() < stop_at:
                count += 1 if operation() else 0
            with lock:
                done[0] += count

        started = time.monotonic()
        workers = [threading.Thread(target=loop) for _ in range(n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        measured[n] = round(done[0] / (time.monotonic() - started), 1)
    return max(measured.values()), measured
