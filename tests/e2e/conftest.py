"""The browser flows' fixtures: the store started exactly as `make run` starts it, and Debian's headless Chromium.

Nothing here touches the test session's shared MongoDB or Redis: each store is a `python -m app.platform.runner`
child with its own embedded MongoDB, SQLite-backed Huey, localstripe and gunicorn, on free ports, in a temp folder.
"""

import os
import sys

import pytest

from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAY_WINDOW_SECONDS,
    SHORT_WINDOW_SECONDS,
    Store,
)


# Package scope, not session: Playwright's sync API keeps an event loop running in the main thread until it stops,
# and later tests (the NATS ones) need to run asyncio themselves.
@pytest.fixture(scope="package")
def e2e_out(out_dir):
    """Return the e2e output folder (store logs, failure screenshots)."""
    path = out_dir / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start_stores(e2e_out, tmp_path_factory, *specs):
    # Both stores boot at the same time: each takes ~10 s, mostly its own embedded servers starting.
    stores = [Store(name, e2e_out, tmp_path_factory.mktemp(f"{name}-instance"), **settings)
              for name, settings in specs]
    try:
        for store in stores:
            store.wait_ready()
    except BaseException:
        for store in stores:
            store.stop()
        raise
    return stores


@pytest.fixture(scope="package")
def _stores(browser, e2e_out, tmp_path_factory):  # the browser first: no stores booted without one
    stores = _start_stores(e2e_out, tmp_path_factory,
                           ("store", {"ORDER_EXPIRATION_SECONDS": PAY_WINDOW_SECONDS}),
                           ("short-window-store", {"ORDER_EXPIRATION_SECONDS": SHORT_WINDOW_SECONDS}))
    yield {store.name: store for store in stores}
    for store in stores:
        store.stop()


@pytest.fixture(scope="package")
def store(_stores):
    """Return the store as `make run` runs it, with a reservation window long enough to pay by hand."""
    return _stores["store"]


@pytest.fixture(scope="package")
def short_store(_stores):
    """Return a second store whose reservations expire after a few seconds."""
    return _stores["short-window-store"]


@pytest.fixture(scope="package")
def browser():
    """Return Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (it apt-installs Debian's chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, request, e2e_out):
    """Return a function opening a fresh visitor (own cookies) at a viewport width; on failure, every page the test
    opened is saved (screenshot and HTML) before it closes."""
    contexts, pages, blocked = [], [], []

    def open_page(width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Anything the Content-Security-Policy blocks is a broken page (a script or style that did not run).
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        pages.append(page)
        return page

    yield open_page
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_evidence(e2e_out / request.node.name, pages)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """Return a fresh visitor's page at desktop width."""
    return new_page()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (item.rep_call), so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def save_evidence(folder, pages):
    """Save a full-page screenshot, the HTML and the URL of each open page into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages, start=1):
        try:
            if page.is_closed():
                continue
            page.screenshot(path=str(folder / f"page-{number}.png"), full_page=True)
            (folder / f"page-{number}.html").write_text(page.content())
            (folder / f"page-{number}.url").write_text(page.url + "\n")
        except Exception as exc:  # noqa: BLE001 - a crashed page must not hide the test's own failure
            (folder / f"page-{number}.error").write_text(repr(exc))
    print(f"\nfailure evidence saved in {folder}", file=sys.stderr)
