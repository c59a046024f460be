"""`python -m bench` (make bench): start the store as `make run` does and run the five benchmarks of issue 8, then
growth (issue 13) on a store of its own. `python -m bench growth --cycles 2000 --window 250` runs only the named ones.

Huey runs on Redis (REDIS_URL=redis://127.0.0.1:6379/0) under a queue name of its own, as production would: the
default SQLite Huey would put a second SQLite writer on the same two cores and measure the fallback, not the store.
"""

import argparse
import sys
import time

from . import browse, expiry, growth, memory, relay, sellout
from .common import MemorySampler, machine
from .store import Store

ORDER = ("browse", "sellout", "relay", "expiry", "growth")


def main(argv=None):
    """Run the benchmarks (all by default) and print every figure beside its ceiling."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the issue's counts and durations (e.g. 0.2 for a quick look)")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(ORDER)})")
    parser.add_argument("--only", default=",".join(ORDER), help=f"comma-separated subset of {','.join(ORDER)}")
    parser.add_argument("--cycles", type=int, help="growth: cycles to run (default 10,000 x scale)")
    parser.add_argument("--window", type=int, help="growth: cycles per window (default 1,000 x scale)")
    parser.add_argument("--cancel-every", type=int, default=4,
                        help="growth: every Nth cycle cancels instead of paying (1: all cancel, no localstripe)")
    args = parser.parse_args(argv)
    chosen = args.names or [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    def n(count):
        return max(1, round(count * args.scale))

    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    if set(chosen) - {"growth"}:
        _run_on_one_store(chosen, args.scale, n)
    if "growth" in chosen:
        # A store of its own: a fresh database whose size is the benchmark's, and a retention short enough to act.
        growth.run(cycles=args.cycles or n(10_000), window=args.window or n(1_000), cancel_every=args.cancel_every)
    print(f"\nbench finished in {time.monotonic() - started:.0f} s; figures appended to bench/results.jsonl",
          flush=True)
    return 0


def _run_on_one_store(chosen, scale, n):
    started = time.monotonic()
    store = Store(web_workers=2)
    try:
        store.start()
        print(f"store up at {store.base} (Huey on Redis as {store.huey_name}) in {time.monotonic() - started:.1f} s",
              flush=True)
        sampler = MemorySampler(store).start()
        if "browse" in chosen:
            browse.run(store, seconds=max(2, round(10 * scale)), events=n(500), tickets=n(10_000))
        if "sellout" in chosen:
            sellout.run(store, buyers=n(1000), tickets=n(100))
        if "relay" in chosen:
            relay.run(store, events=n(5000))
        if "expiry" in chosen:
            expiry.run(store, orders=n(300))
        memory.run(sampler)
    finally:
        store.stop()


if __name__ == "__main__":
    sys.exit(main())
