"""CONTEXTS: a process serves exactly the routes, handlers, sweeps, migrations and consumers of its contexts."""

import itertools
import json
import subprocess
import sys

import pytest

from app.config import ALL_CONTEXTS
from tests.conftest import ROOT, env_for

SUBSETS = [",".join(c) for n in range(1, len(ALL_CONTEXTS) + 1) for c in itertools.combinations(ALL_CONTEXTS, n)]


@pytest.fixture(scope="module")
def served(base_env):
    """Return what an app serves for every non-empty CONTEXTS subset (built in a child process)."""
    result = subprocess.run([sys.executable, "-m", "tests.integration.split.contexts_probe", *SUBSETS],
                            env=env_for(base_env, LOG_LEVEL="ERROR"), cwd=ROOT, check=False, capture_output=True,
                            text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def _routes_of(description, context):
    return {(rule, methods) for rule, methods, owner in description["routes"] if owner == context}


@pytest.mark.parametrize("contexts", SUBSETS)
def test_a_process_serves_only_the_routes_of_its_contexts(served, contexts):
    """Register every route of each served context and none of the others' (url_map, and GET answers 404)."""
    full = served[",".join(ALL_CONTEXTS)]
    mine = served[contexts]
    names = contexts.split(",")

    assert mine["contexts"] == names
    owners = {owner for _rule, _methods, owner in mine["routes"]}
    assert owners <= {*names, "platform"}
    for name in ALL_CONTEXTS:
        expected = _routes_of(full, name) if name in names else set()
        assert _routes_of(mine, name) == expected, name
    assert {("/healthz", "GET"), ("/readyz", "GET")} <= _routes_of(mine, "platform")

    owner_of = {rule: owner for rule, _methods, owner in full["routes"]}
    for path, status in mine["probe"].items():
        if owner_of[path] in names or owner_of[path] == "platform":
            assert status not in (404, 500), (path, status)
        else:
            assert status == 404, (path, status)


@pytest.mark.parametrize("contexts", SUBSETS)
def test_a_process_runs_only_the_handlers_sweeps_and_migrations_of_its_contexts(served, contexts):
    """Subscribe, sweep, migrate and consume (NATS) only for the served contexts."""
    full = served[",".join(ALL_CONTEXTS)]
    mine = served[contexts]
    names = set(contexts.split(","))

    def of(items, prefix="app."):
        return {i for i in items if i.startswith(prefix) and i.split(".")[1] in names}

    assert set(mine["handlers"]) == of(full["handlers"])
    assert set(mine["sweeps"]) == of(full["sweeps"])
    context_of_migration = {m: m.split("_", 1)[1] for m in full["migrations"]}
    assert set(mine["migrations"]) == {m for m, c in context_of_migration.items() if c in names | {"platform"}}
    assert set(mine["consumers"]) <= names
    assert set(mine["consumers"]) == {c for c in full["consumers"] if c in names}
