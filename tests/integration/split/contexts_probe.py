"""Build one app per CONTEXTS value given on the command line and print, as JSON, what each one serves.

Run in a child process (`python -m tests.integration.split.contexts_probe auth tickets,orders ...`) because
create_app binds process-wide singletons (the database connection, Huey) that the test session's app must keep.
"""

import json
import sys

from app import create_app
from app.config import ALL_CONTEXTS


def _owner(app, endpoint):
    if "." not in endpoint:
        return "platform"  # the static files route
    module = app.blueprints[endpoint.rsplit(".", 1)[0]].import_name
    return module.split(".")[1] if module.startswith("app.") else module


def describe(contexts, probe_paths=()):
    """Return the routes, handlers, sweeps, migrations and consumers of an app serving `contexts`.

    `probe` holds the status of a GET on each of `probe_paths` (404 means: not served here).
    """
    from migrations.runner import status

    app = create_app({"CONTEXTS": contexts, "EVENT_TRANSPORT": "nats", "TESTING": True})
    routes = sorted({(r.rule, ",".join(sorted(r.methods - {"HEAD", "OPTIONS"})), _owner(app, r.endpoint))
                     for r in app.url_map.iter_rules()})
    client = app.test_client()
    with app.app_context():
        migrations = [name for name, _applied in status(app.extensions["mongo"].db, app.config["CONTEXTS"])]
    return {
        "contexts": list(app.config["CONTEXTS"]),
        "routes": routes,
        "handlers": sorted(app.extensions["dispatcher"].by_name),
        "sweeps": sorted(f"{fn.__module__}.{fn.__qualname__}" for fn in app.extensions["sweeps"]),
        "migrations": migrations,
        "consumers": sorted(app.extensions["dispatcher"].transport.plan()),
        "probe": {path: client.get(path).status_code for path in probe_paths},
    }


def main(argv):
    """Print {CONTEXTS value: description} for each value, probing the plain paths of the app serving all."""
    full = describe(",".join(ALL_CONTEXTS))
    paths = sorted({rule for rule, _methods, _owner in full["routes"] if "<" not in rule})
    results = {value: describe(value, paths) for value in argv}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
