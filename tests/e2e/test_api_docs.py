"""The API's documentation page: Swagger UI renders the whole description from this site alone, under the CSP."""

from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_api_docs_render_every_operation_from_this_site_and_try_one_out(store, page):
    origins, errors = set(), []
    page.on("request", lambda request: origins.add(urlsplit(request.url)[:2]))
    page.on("pageerror", lambda error: errors.append(str(error)))
    operations = sum(len([m for m in item if m in ("get", "put", "post", "delete", "patch")])
                     for item in requests.get(f"{store.url}/api/openapi.json", timeout=10).json()["paths"].values())

    page.goto(f"{store.url}/api/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == operations
    assert page.get_by_role("heading", name="Ticketing JSON API").is_visible()
    for tag in ("auth", "tickets", "events", "etickets", "orders", "payments"):
        assert page.locator(f'.opblock-tag[data-tag="{tag}"]').is_visible(), tag

    # Try one out: the page's own request reaches the API (the CSP's connect-src allows it) and shows the answer.
    page.locator("#operations-tickets-listTickets .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator("#operations-tickets-listTickets .live-responses-table tbody .response-col_status").first.wait_for()
    assert page.locator("#operations-tickets-listTickets .live-responses-table tbody .response-col_status").first \
        .inner_text().strip() == "200"

    assert origins == {urlsplit(store.url)[:2]}, f"the page fetched from elsewhere: {origins}"
    assert errors == [], errors
