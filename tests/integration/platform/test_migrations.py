"""Migrations apply once, idempotently, even when two processes run them at the same moment."""

import threading

from app.config import ALL_CONTEXTS as CONTEXTS
from migrations.runner import discover, status, upgrade


def test_migrations_are_recorded_and_a_second_run_applies_nothing(app, db):
    names = [m.NAME for m in discover()]
    assert names == sorted(names) and names[0] == "0001_platform"
    assert all(applied for _name, applied in status(db, CONTEXTS))
    assert upgrade(db, CONTEXTS) == []


def test_two_processes_migrating_at_once_apply_each_migration_once(app, db, mongodb_uri):
    import pymongo

    fresh = pymongo.MongoClient(mongodb_uri)["migrations_race"]
    fresh.client.drop_database("migrations_race")
    results = []

    def run():
        client = pymongo.MongoClient(mongodb_uri)
        results.append(upgrade(client["migrations_race"], CONTEXTS))
        client.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(m.NAME for m in discover())  # each once, whoever ran it
    assert fresh.migrations.count_documents({}) == len(applied)
    assert "pending_by_age" in fresh.platform_outbox.index_information()
    fresh.client.drop_database("migrations_race")


def test_db_status_command_lists_applied_migrations(app):
    output = app.test_cli_runner().invoke(args=["db", "status"]).output
    assert "applied  0001_platform" in output
    assert "pending" not in output
