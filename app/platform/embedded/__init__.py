"""Embedded stand-ins for production services, for a machine where nothing is configured.

`python -m app.platform.embedded mongo --path FILE --port N` serves the MongoDB wire protocol from mongoeco's SQLite
engine. Every override of mongoeco's internals lives in this package: the gate in front of the engine (server.py) and
the engine's shortcuts (engine.py, with its reads of compound indexes in index order in ordered.py);
tests/integration/platform/test_embedded_overrides.py checks each one still finds what it relies on in the installed
mongoeco.
"""

from .cli import main
from .engine import sqlite_engine_class
from .server import free_port, gated_server_class, mongo_server, serve_mongo, wait_for_port

__all__ = ["free_port", "gated_server_class", "main", "mongo_server", "serve_mongo", "sqlite_engine_class",
           "wait_for_port"]
