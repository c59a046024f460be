"""The OpenAPI description: a valid OpenAPI 3.1 document, in step with the routes, merged per context; its viewer."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import PointerToNowhere

from app.platform import openapi
from tests.conftest import ROOT, env_for

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def openapi_path(rule):
    """Return a Flask rule in OpenAPI's spelling: /api/tickets/<ticket_id> -> /api/tickets/{ticket_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_routes(app):
    """Return {(METHOD, OpenAPI path): owning package} for every /api/ route the app serves, except static files."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.endswith(".static"):
            continue  # the docs page's assets are files, not JSON endpoints
        owner = app.blueprints[rule.endpoint.rsplit(".", 1)[0]].import_name.rsplit(".", 1)[0]
        for method in rule.methods & METHODS:
            routes[(method, openapi_path(rule.rule))] = owner
    return routes


def described(document):
    """Return the set of (METHOD, path) the document describes."""
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method.upper() in METHODS}


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def test_description_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema, or an unresolvable $ref


def test_every_api_route_is_described_and_nothing_else(app, document):
    routes = set(api_routes(app))
    undescribed = sorted(routes - described(document))
    phantom = sorted(described(document) - routes)
    assert not undescribed, (
        "these /api/ routes are not in the OpenAPI description; describe each in its context's "
        "app/<context>/openapi.yaml (Flask's <id> is OpenAPI's {id}):\n"
        + "\n".join(f"  {m} {p}" for m, p in undescribed))
    assert not phantom, ("the OpenAPI description has operations no route serves:\n"
                         + "\n".join(f"  {m} {p}" for m, p in phantom))


def test_each_context_describes_exactly_its_own_routes(app):
    owners = api_routes(app)
    for context in app.config["CONTEXTS"]:
        part = openapi.read_part(f"app.{context}") or {"paths": {}}
        own = {route for route, owner in owners.items() if owner == f"app.{context}"}
        assert described(part) == own, f"app/{context}/openapi.yaml"
        assert described(openapi.describe([context])) == own | described(openapi.read_part("app.platform"))


def test_a_service_of_one_context_describes_only_that_context(base_env):
    # In its own process: create_app binds process-wide singletons the session's app must keep.
    script = ("import json, sys; from app import create_app; "
              "app = create_app({'CONTEXTS': 'payments', 'TESTING': True}); "
              "response = app.test_client().get('/api/openapi.json'); "
              "json.dump({'status': response.status_code, 'paths': sorted(response.json['paths'])}, sys.stdout)")
    result = subprocess.run([sys.executable, "-c", script], env=env_for(base_env, LOG_LEVEL="ERROR"), cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == {"status": 200, "paths": [
        "/api/docs", "/api/openapi.json", "/api/payments", "/api/payments/webhook"]}


def test_every_operation_answers_errors_in_the_one_shape(document):
    # Every 4xx/5xx an operation documents is the platform's error shape, so a client needs one error parser.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() not in METHODS:
                continue
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            for status, response in operation["responses"].items():
                if status in openapi.SERVER_RESPONSES:  # gunicorn's refusals, in HTML, before the app sees anything
                    assert response == {"$ref": f"#/components/responses/{openapi.SERVER_RESPONSES[status]}"}
                elif status[0] in "45":
                    ref = response.get("$ref") or response["content"]["application/json"]["schema"]["$ref"]
                    assert ref in ("#/components/schemas/Errors", ) or ref.startswith("#/components/responses/"), (
                        f"{method} {path} {status}")


def test_routes_that_need_a_session_name_the_session_cookie(app, document):
    scheme = document["components"]["securitySchemes"]["session"]
    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]}
    guarded = {("POST", "/api/tickets"), ("PUT", "/api/tickets/{ticket_id}"), ("GET", "/api/orders"),
               ("POST", "/api/orders"), ("GET", "/api/orders/{order_id}"), ("DELETE", "/api/orders/{order_id}"),
               ("POST", "/api/payments")}
    for method, path in guarded:
        operation = document["paths"][path][method.lower()]
        assert operation["security"] == [{"session": []}], f"{method} {path}"
        assert "401" in operation["responses"], f"{method} {path}"


def test_both_spellings_of_the_auth_routes_are_described_alike(document):
    for lower, camel in [("signup", "signUp"), ("signin", "signIn"), ("signout", "signOut"),
                         ("currentuser", "currentUser")]:
        first, second = document["paths"][f"/api/users/{lower}"], document["paths"][f"/api/users/{camel}"]
        assert first.keys() == second.keys()
        for method in first:
            same = {k: v for k, v in first[method].items() if k not in ("operationId", "summary")}
            assert same == {k: v for k, v in second[method].items() if k not in ("operationId", "summary")}
            assert first[method]["operationId"] != second[method]["operationId"]


def test_an_operation_described_twice_is_refused():
    document = openapi.describe(["tickets"])
    with pytest.raises(openapi.DescriptionConflictError, match="GET /api/tickets is described twice"):
        openapi.merge(document, openapi.read_part("app.tickets"), source="twice")
    with pytest.raises(openapi.DescriptionConflictError, match="components/schemas/Error "):
        openapi.merge(document, {"components": {"schemas": {"Error": {"type": "string"}}}}, source="other")


def test_the_validator_catches_a_broken_description():
    # The validation above can fail: a response without its required description, a dangling reference.
    document = openapi.describe(["tickets"])
    del document["paths"]["/api/tickets"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(document)
    document = openapi.describe(["tickets"])
    document["paths"]["/api/tickets"]["get"]["responses"]["200"] = {"$ref": "#/components/responses/Nowhere"}
    with pytest.raises(PointerToNowhere):
        validate(document)


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline_scripts, self.styles = [], 0, []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs
            if "src" in attrs:
                self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_docs_page_loads_swagger_ui_from_this_site_without_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = _Assets()
    page.feed(response.get_data(as_text=True))
    assert page.inline_scripts == 0, "an inline script would need 'unsafe-inline' in the CSP"
    assert 'data-url="/api/openapi.json"' in response.get_data(as_text=True)
    assert "/static/api-docs.js" in page.scripts
    for url in page.scripts + page.styles:
        assert url.startswith("/"), f"{url} is not served by this site"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype == ("text/javascript" if url.endswith(".js") else "text/css"), url
    bundle = client.get(next(url for url in page.scripts if url.endswith("swagger-ui-bundle.js")))
    assert b"SwaggerUIBundle" in bundle.data
    assert b"validatorUrl: null" in client.get("/static/api-docs.js").data
