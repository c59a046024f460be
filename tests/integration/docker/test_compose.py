"""The container files (Docker cannot run here): compose files parse and set only settings the app knows."""

import json
import re
import subprocess
import sys

import pytest
import yaml

from app.config import _SETTINGS, ALL_CONTEXTS
from tests.conftest import ROOT, env_for

DOCKER = ROOT / "docker"
KNOWN_SETTINGS = set(_SETTINGS) | {"SECRET_KEY"}
COMPOSE_FILES = ["compose.yaml", "compose.split.yaml"]


def _compose(name):
    return yaml.safe_load((DOCKER / name).read_text())


def _environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def _app_services(compose):
    return {name: s for name, s in compose["services"].items()
            if "build" in s or str(s.get("image", "")).startswith("ticketing")}


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_sets_only_settings_the_app_knows(name):
    """Give the app containers only environment variables that app/config.py reads (or SECRET_KEY)."""
    apps = _app_services(_compose(name))
    assert apps
    for service_name, service in apps.items():
        unknown = set(_environment(service)) - KNOWN_SETTINGS
        assert not unknown, f"{name}: {service_name} sets {sorted(unknown)}, which the app does not read"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_is_complete(name):
    """Declare every named volume and dependency used, build from docker/Dockerfile and check /readyz."""
    compose = _compose(name)
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    for service_name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{service_name} uses undeclared volume {source}"
            else:
                assert (DOCKER / source).resolve().exists(), f"{service_name} mounts missing {source}"
        assert set(service.get("depends_on") or {}) <= set(services), service_name
        assert "healthcheck" in service, f"{service_name} has no healthcheck"
    for service_name, service in _app_services(compose).items():
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        assert "/readyz" in " ".join(service["healthcheck"]["test"]), service_name
        assert service["command"][0] in ("web", "worker", "all")
        assert _environment(service)["SECRET_KEY"].startswith("${SECRET_KEY:?"), "the secret must come from outside"
    # Transactions need a replica set, which the MongoDB healthcheck initiates.
    assert "--replSet" in services["mongo"]["command"]
    assert "rs.initiate" in " ".join(services["mongo"]["healthcheck"]["test"])


def test_small_team_compose_runs_the_whole_store_in_one_container():
    """Run every context in the one app container against MongoDB and Redis."""
    compose = _compose("compose.yaml")
    app = compose["services"]["app"]
    env = _environment(app)
    assert app["command"] == ["all"]
    assert "CONTEXTS" not in env  # the default: all four
    assert env["MONGODB_URI"].startswith("mongodb://mongo:27017/") and "replicaSet=rs0" in env["MONGODB_URI"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert set(compose["services"]) == {"app", "mongo", "redis"}


def test_split_compose_runs_one_service_per_context_over_nats():
    """Give each context its own service, database and queue, one shared secret, and NATS with JetStream."""
    compose = _compose("compose.split.yaml")
    services = compose["services"]
    envs = {name: _environment(services[name]) for name in ALL_CONTEXTS}
    for name, env in envs.items():
        assert env["CONTEXTS"] == name
        assert env["EVENT_TRANSPORT"] == "nats"
        assert env["NATS_URL"] == "nats://nats:4222"
    assert len({env["MONGODB_URI"] for env in envs.values()}) == len(ALL_CONTEXTS)
    assert len({env["HUEY_NAME"] for env in envs.values()}) == len(ALL_CONTEXTS)
    assert len({env["SECRET_KEY"] for env in envs.values()}) == 1
    assert "--jetstream" in services["nats"]["command"]


def _locations(conf):
    found = []
    for match in re.finditer(r"location\s+(=\s+)?(\S+)\s*\{([^}]*)\}", conf):
        upstream = re.search(r"proxy_pass\s+http://(\w+)", match.group(3))
        found.append((bool(match.group(1)), match.group(2), upstream.group(1) if upstream else None))
    return found


def _route(locations, path):
    """Pick the location nginx picks for a path: an exact match, else the longest matching prefix."""
    for exact, prefix, upstream in locations:
        if exact and prefix == path:
            return upstream
    matches = [(len(prefix), upstream) for exact, prefix, upstream in locations
               if not exact and path.startswith(prefix)]
    return max(matches)[1] if matches else None


def test_split_gateway_sends_every_route_to_the_service_that_serves_it(base_env):
    """Route each path of every context, through the gateway, to the service running that context."""
    result = subprocess.run([sys.executable, "-m", "tests.integration.split.contexts_probe", ",".join(ALL_CONTEXTS)],
                            env=env_for(base_env, LOG_LEVEL="ERROR"), cwd=ROOT, check=False, capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    routes = json.loads(result.stdout)[",".join(ALL_CONTEXTS)]["routes"]
    locations = _locations((DOCKER / "gateway.conf").read_text())
    upstreams = {upstream for _exact, _prefix, upstream in locations if upstream}
    assert upstreams == set(ALL_CONTEXTS) <= set(_compose("compose.split.yaml")["services"])
    for rule, _methods, owner in routes:
        path = re.sub(r"<[^>]+>", "0123456789abcdef01234567", rule)
        if owner == "platform":
            continue  # /healthz and /readyz are per service; /static is the same files in every service
        assert _route(locations, path) == owner, f"{rule} belongs to {owner}"
    assert _route(locations, "/static/style.css") in ALL_CONTEXTS


def test_dockerfile_builds_a_slim_non_root_image_with_the_entrypoint():
    """Build on python:3.13-slim, install the package, run as a non-root user through the entrypoint."""
    dockerfile = (DOCKER / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith((" ", "#"))]
    keywords = [i[0] for i in instructions]
    assert instructions[0] == ["FROM", "python:3.13-slim"]
    assert "pip install /src" in dockerfile
    user = [i[1] for i in instructions if i[0] == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert keywords.index("USER") > keywords.index("RUN")
    assert ["ENTRYPOINT", '["ticketing-entrypoint"]'] in instructions
    assert (DOCKER / "entrypoint.sh").stat().st_mode & 0o111


def test_split_gateway_serves_the_whole_apis_description_and_its_viewer(base_env):
    """Route /api/openapi.json and /api/docs (with its files) to one service, which describes every context."""
    from app import create_app

    locations = _locations((DOCKER / "gateway.conf").read_text())
    owner = _route(locations, "/api/openapi.json")
    assert owner in ALL_CONTEXTS
    for path in ("/api/docs", "/api/docs/assets/swagger-ui.css", "/static/api-docs.js"):
        assert _route(locations, path) == owner, path
    env = _environment(_compose("compose.split.yaml")["services"][owner])
    service = create_app(dict(base_env) | {"CONTEXTS": env["CONTEXTS"], "OPENAPI_CONTEXTS": env["OPENAPI_CONTEXTS"]})
    whole = create_app(dict(base_env) | {"CONTEXTS": ",".join(ALL_CONTEXTS)})
    client = service.test_client()
    described = client.get("/api/openapi.json").get_json()
    assert described == whole.test_client().get("/api/openapi.json").get_json()  # the site's, not one context's
    for path in ("/api/users/signup", "/api/tickets", "/api/orders", "/api/payments"):
        assert path in described["paths"], path
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.get_data(as_text=True)
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
