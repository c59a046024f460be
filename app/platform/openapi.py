"""The JSON API's OpenAPI description, merged from the parts of the contexts this process serves, and its viewer.

Each context describes its own routes in `app/<context>/openapi.yaml`; the platform's part (`openapi.yaml` beside this
module) holds the document's frame, the error shape, the shared responses and the session cookie. A process describes
exactly the contexts it serves (CONTEXTS), so a context extracted into its own service serves its own description;
behind a gateway, the one service the gateway sends /api/openapi.json to describes the whole site (OPENAPI_CONTEXTS).
Every operation also gets the web server's own refusals (414, 431), which no route controls.
`/api/docs` renders it with Swagger UI from the files flask-swagger-ui ships (no CDN), started by a static script
(`app/static/api-docs.js`), so the page needs no 'unsafe-inline' in the Content Security Policy.
"""

import importlib.resources
import json

import yaml
from flask import Blueprint, current_app, render_template

PART = "openapi.yaml"
# What the web server in front of the app (gunicorn) answers to any request it will not parse, whatever the route.
SERVER_RESPONSES = {"414": "URITooLong", "431": "RequestHeaderFieldsTooLarge"}
_SECTIONS = {"paths", "components", "tags"}  # what a context's part may add
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

bp = Blueprint("openapi", __name__, template_folder="templates",
               static_folder=str(importlib.resources.files("flask_swagger_ui") / "dist"),
               static_url_path="/api/docs/assets")


class DescriptionConflictError(ValueError):
    """Two parts describe the same operation, or give one component two meanings."""


def read_part(package):
    """Return the description part a package ships (its `openapi.yaml`), or None if it has none."""
    resource = importlib.resources.files(package) / PART
    if not resource.is_file():
        return None
    return yaml.load(resource.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def describe(contexts, cookie_name="session"):
    """Return the OpenAPI document of the platform and these contexts, as one dict."""
    document = read_part(__package__)
    for name in contexts:
        part = read_part(f"app.{name}")
        if part is not None:
            merge(document, part, source=f"app/{name}/{PART}")
    document["components"]["securitySchemes"]["session"]["name"] = cookie_name
    # Plain JSON from here on: YAML anchors shared by two operations become two copies.
    document = json.loads(json.dumps(document))
    for item in document["paths"].values():
        for method in _METHODS & set(item):
            for status, name in SERVER_RESPONSES.items():
                item[method]["responses"].setdefault(status, {"$ref": f"#/components/responses/{name}"})
    return document


def merge(document, part, source):
    """Add a context's part to the document; refuse an operation or a component described twice."""
    unknown = set(part) - _SECTIONS
    if unknown:
        raise DescriptionConflictError(f"{source} may only add {sorted(_SECTIONS)}, not {sorted(unknown)}")
    known_tags = {tag["name"] for tag in document.setdefault("tags", [])}
    document["tags"].extend(tag for tag in part.get("tags", []) if tag["name"] not in known_tags)
    paths = document.setdefault("paths", {})
    for path, item in (part.get("paths") or {}).items():
        existing = paths.setdefault(path, {})
        for key, value in item.items():
            if key in existing and (key in _METHODS or existing[key] != value):
                raise DescriptionConflictError(f"{source}: {key.upper()} {path} is described twice")
            existing[key] = value
    components = document.setdefault("components", {})
    for section, entries in (part.get("components") or {}).items():
        known = components.setdefault(section, {})
        for name, value in entries.items():
            if name in known and known[name] != value:
                raise DescriptionConflictError(f"{source}: components/{section}/{name} is defined twice, differently")
            known[name] = value


def description(app):
    """Return this app's description as JSON text (built once, at its first use)."""
    text = app.extensions.get("openapi")
    if text is None:
        contexts = app.config.get("OPENAPI_CONTEXTS") or app.config["CONTEXTS"]
        document = describe(contexts, app.config.get("SESSION_COOKIE_NAME", "session"))
        text = app.extensions["openapi"] = json.dumps(document, ensure_ascii=False)
    return text


@bp.get("/api/openapi.json")
def openapi_json():
    """Answer the OpenAPI 3.1 description of the JSON endpoints this process serves (or OPENAPI_CONTEXTS names)."""
    return current_app.response_class(description(current_app), mimetype="application/json")


@bp.get("/api/docs")
def docs():
    """Render the description with Swagger UI."""
    return render_template("platform/api_docs.html")
