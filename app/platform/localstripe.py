"""The local Stripe stand-in (localstripe) for demo mode and tests: start, stop, reset, register a webhook.

Demo mode is "no STRIPE_SECRET_KEY": the app then talks to localstripe with fixed test keys and a fixed webhook
secret (fake money only; see `effective_settings`). Nothing here runs at import time.
"""

import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_SECRET_KEY = "sk_test_demo"
DEMO_PUBLISHABLE_KEY = "pk_test_demo"
# A fixed, public value is acceptable here: in demo mode the "money" is localstripe's, and the supervisor that
# registers the webhook with localstripe must know the same secret without reading the app's instance folder.
DEMO_WEBHOOK_SECRET = "whsec_ticketing_demo"
JS_PATH = "/js.stripe.com/v3/"


def base_url(port, host="127.0.0.1"):
    """Return the base URL of a localstripe listening on `port`."""
    return f"http://{host}:{port}"


def effective_settings(config):
    """Return the Stripe settings in force for an app config: live keys, or demo defaults against localstripe."""
    demo = not config.get("STRIPE_SECRET_KEY")
    api_base = config.get("STRIPE_API_BASE") or (base_url(config["LOCALSTRIPE_PORT"]) if demo else "")
    return {
        "demo": demo,
        "secret_key": config.get("STRIPE_SECRET_KEY") or DEMO_SECRET_KEY,
        "publishable_key": config.get("STRIPE_PUBLISHABLE_KEY") or (DEMO_PUBLISHABLE_KEY if demo else ""),
        "webhook_secret": config.get("STRIPE_WEBHOOK_SECRET") or (DEMO_WEBHOOK_SECRET if demo else ""),
        "api_base": api_base.rstrip("/"),
        # Demo mode loads localstripe's stand-in stripe.js; the page code is the same in both modes.
        "js_url": (api_base.rstrip("/") + JS_PATH) if demo else config.get("STRIPE_JS_URL", ""),
        "timeout": float(config.get("STRIPE_TIMEOUT_SECONDS") or 10.0),
    }


class LocalStripe:
    """A running localstripe child process."""

    def __init__(self, popen, port, log):
        self.popen = popen
        self.port = port
        self.url = base_url(port)
        self._log = log

    def alive(self):
        """Return whether the process is still running."""
        return self.popen.poll() is None

    def stop(self, timeout=5):
        """Stop the process (SIGTERM, then SIGKILL if it lingers)."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        if self._log is not None:
            self._log.close()


def serve(port, host="127.0.0.1"):
    """Run localstripe's server in this process on host:port, with no saved data (blocks until stopped)."""
    import logging

    from aiohttp import web
    from localstripe import server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    keep_cost_flat()
    # localstripe's own `start()` binds every interface ("::"), where anyone on the network could re-point its
    # webhook at their own URL or read the demo's payments: listen on the loopback address only.
    web.run_app(server.app, host=host, port=port, print=None)


def keep_cost_flat():
    """Make localstripe's cost per request independent of how many objects it holds (it saves nothing to disk)."""
    from localstripe import resources

    # localstripe pickles its whole store to /tmp/localstripe.pickle after every object it creates and every
    # POST/PUT/DELETE, and finds a charge's refunds (asked each time a charge is shown) by scanning every object it
    # holds: each payment cost more than the one before. This server starts from scratch and keeps nothing.
    resources.store.__class__ = _IndexedStore
    resources.store.by_kind = {}
    for key in resources.store:
        resources.store.index(key)
    resources.StripeObject._api_list_all = classmethod(_list_all)


class _IndexedStore(dict):
    """localstripe's store, with the keys of each kind of object kept apart (a listing reads only its kind)."""

    def dump_to_disk(self):
        """Save nothing: this store lives as long as its process."""

    def index(self, key):
        """Note that `key` ("<kind>:<id>") is stored."""
        self.by_kind.setdefault(key.partition(":")[0], {})[key] = None

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.index(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        self.by_kind.get(key.partition(":")[0], {}).pop(key, None)

    def clear(self):
        super().clear()
        self.by_kind.clear()


def _list_all(cls, url, limit=None, starting_after=None, **kwargs):
    # localstripe's StripeObject._api_list_all, reading only the keys of the listed kind (in insertion order, as the
    # whole store's were).
    from localstripe.resources import List, UserError, store

    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    listed = List(url, limit=limit, starting_after=starting_after)
    listed._list = [store[key] for key in store.by_kind.get(cls.object, ())]
    return listed


def start(port, log_path=None, timeout=15.0):
    """Start localstripe (from scratch, on 127.0.0.1:port) and return it once it serves its stripe.js."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - kept open for the life of the process
    out = log if log is not None else subprocess.DEVNULL
    popen = subprocess.Popen([sys.executable, "-m", "app.platform.localstripe", "--port", str(port)], stdout=out,
                             stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
                             start_new_session=True)
    server = LocalStripe(popen, port, log)
    try:
        wait_ready(server.url, timeout, popen)
    except BaseException:
        server.stop()
        raise
    return server


def wait_ready(url, timeout=15.0, popen=None):
    """Wait until localstripe at `url` serves its stripe.js (no key needed); raise if it does not in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen is not None and popen.poll() is not None:
            raise RuntimeError(f"localstripe exited with {popen.returncode} (is the port taken?)")
        try:
            urllib.request.urlopen(url + JS_PATH, timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"localstripe at {url} not ready after {timeout}s")


def stop(server):
    """Stop a localstripe started with `start`."""
    server.stop()


def reset(url):
    """Forget every object localstripe holds (registered webhooks stay)."""
    request = urllib.request.Request(url.rstrip("/") + "/_config/data", method="DELETE")
    urllib.request.urlopen(request, timeout=5).close()


def register_webhook(url, webhook_url, secret, name="ticketing", events=None):
    """Make localstripe POST its events, signed with `secret`, to `webhook_url` (re-registering replaces)."""
    fields = [("url", webhook_url), ("secret", secret)]
    fields += [("events[]", e) for e in events or ()]
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(f"{url.rstrip('/')}/_config/webhooks/{urllib.parse.quote(name)}", data=data,
                                     method="POST")
    try:
        urllib.request.urlopen(request, timeout=5).close()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"localstripe refused the webhook registration: {exc.code}") from exc


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="localstripe on the loopback address, from scratch")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    arguments = parser.parse_args()
    serve(arguments.port, arguments.host)
