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
    # localstripe's own `start()` binds every interface ("::"), where anyone on the network could re-point its
    # webhook at their own URL or read the demo's payments: listen on the loopback address only.
    web.run_app(server.app, host=host, port=port, print=None)


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
