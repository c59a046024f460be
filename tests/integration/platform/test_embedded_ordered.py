"""The embedded server answers the catalogue's query shapes from their compound indexes (app/platform/embedded/
ordered.py), with the answers mongoeco's own plan gives, in the same order, over mixed and missing values too.

The witness is SQLite itself: every statement the server runs on `documents` while the app's own query functions
answer is traced and explained (EXPLAIN QUERY PLAN), and none may scan the collection or sort in a temporary B-tree.
"""

import importlib
import random
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from bson import ObjectId

from app.platform.embedded import sqlite_engine_class
from app.platform.mongo import MongoState
from app.tickets import queries
from app.tickets.params import EventQuery, TicketQuery
from tests.integration.platform.embedded_support import served_in_thread, traced_engine_class, vm_steps

CITIES = ["London", "Paris", "Berlin", "Oslo", "Rome"]
WORDS = ["aurora", "cobalt", "meridian", "quartz", "zephyr"]


def _unoptimised():
    """Return the server's engine class with mongoeco's own plans for sorts and counts (the reference answers)."""
    from mongoeco.engines.sqlite import SQLiteEngine

    class Unoptimised(sqlite_engine_class()):
        _build_scalar_sort_select_sql = SQLiteEngine._build_scalar_sort_select_sql
        _sort_requires_python = SQLiteEngine._sort_requires_python

    return Unoptimised


def _fill(db, now, events=120, tickets=2400):
    from app.tickets.models import Show, Ticket
    from app.tickets.search import city_key, keywords

    for name in ("0003_tickets", "0009_tickets"):
        importlib.import_module(f"migrations.{name}").upgrade(db)
    rng = random.Random(15)
    shows = []
    for i in range(events):
        name, venue, city = f"{rng.choice(WORDS).title()} Live {i}", f"{rng.choice(WORDS).title()} Hall", CITIES[i % 5]
        start = (now + timedelta(days=i % 60 - 2, hours=i % 5)).replace(microsecond=0)  # a few have started
        shows.append(Show(id=ObjectId(), name=name, venue=venue, city=city, city_key=city_key(city), starts_at=start,
                          local_day=start.date().isoformat(), organizer_id="o", keywords=keywords(name, venue, city),
                          created_at=now))
    db.tickets_events.insert_many([show.to_mongo() for show in shows])
    rows = []
    for i in range(tickets):
        show = shows[i % events]
        title = f"Row {i % 30}"
        rows.append(Ticket(id=ObjectId(), title=title, price=1000 + 50 * (i % 40), currency="USD", user_id="u",
                           status=rng.choice(["available"] * 4 + ["reserved", "sold"]), event_id=str(show.id),
                           created_at=now - timedelta(minutes=i % 500),  # ties on created_at, price and start
                           on_sale_until=show.starts_at,
                           keywords=keywords(title, show.name, show.venue, show.city)).to_mongo())
    db.tickets_tickets.insert_many(rows)


SHAPES = {
    "events, soonest first": lambda now: queries.upcoming_events(EventQuery(), now),
    "events, page 3": lambda now: queries.upcoming_events(EventQuery(page=3), now),
    "events in a city": lambda now: queries.upcoming_events(EventQuery(city="paris"), now),
    "events in a window": lambda now: queries.upcoming_events(
        EventQuery(start_from=now + timedelta(days=3), start_to=now + timedelta(days=20)), now),
    "events matching a word": lambda now: queries.upcoming_events(EventQuery(terms=("meridian",)), now),
    "tickets, newest first": lambda now: queries.available_tickets(TicketQuery(), now),
    "tickets, newest first, page 4": lambda now: queries.available_tickets(TicketQuery(page=4), now),
    "tickets by price": lambda now: queries.available_tickets(TicketQuery(sort="price"), now),
    "tickets by price, descending": lambda now: queries.available_tickets(TicketQuery(sort="-price"), now),
    "tickets by date": lambda now: queries.available_tickets(TicketQuery(sort="date"), now),
    "tickets in a price range": lambda now: queries.available_tickets(
        TicketQuery(min_price=1500, max_price=2200, sort="price"), now),
    "tickets matching a word, by price": lambda now: queries.available_tickets(
        TicketQuery(terms=("meridian",), sort="price"), now),
    "the next start": lambda now: queries._first_start_after(now),
}


@contextmanager
def _activated(client):
    """Point the app's documents at this client for a while (mongoengine keeps each class's collection object),
    then give them back the connection they had, so later tests in this process do not reach a closed client."""
    from mongoengine import connection

    from app.tickets.models import Show, Ticket

    alias = connection.DEFAULT_CONNECTION_NAME
    saved = [(registry, registry.get(alias)) for registry in
             (connection._connections, connection._dbs, connection._connection_settings)]
    MongoState(client, client.ticketing).activate()
    Show._collection = Ticket._collection = None
    try:
        yield
    finally:
        for registry, value in saved:
            if value is None:
                registry.pop(alias, None)
            else:
                registry[alias] = value
        Show._collection = Ticket._collection = None


def _answer(result):
    if isinstance(result, queries.Page):
        return result.total, [str(item.id) for item in result]
    return result


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Return (path of a SQLite file holding the catalogue, the `now` it was built around)."""
    path = tmp_path_factory.mktemp("catalogue") / "mongo.sqlite"
    now = datetime.now(UTC).replace(microsecond=0)
    with served_in_thread(path) as (_, uri):
        client = pymongo.MongoClient(uri, tz_aware=True)
        _fill(client.ticketing, now)
        client.close()
    return path, now


def _run_shapes(path, engine_class, now):
    with served_in_thread(None, engine=engine_class(str(path))) as (_, uri):
        client = pymongo.MongoClient(uri, tz_aware=True)
        with _activated(client):
            answers = {}
            for shape, ask in SHAPES.items():
                ask(now)  # the planner's facts are learnt once per server, as on a store that has run for a while
                answers[shape] = _answer(ask(now))
        client.close()
    return answers


def _plan(raw, statement):
    return [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}")]


def test_every_catalogue_shape_reads_its_index_and_sorts_nothing(catalogue):
    path, now = catalogue
    statements = []
    with served_in_thread(None, engine=traced_engine_class(statements)(str(path))) as (_, uri):
        client = pymongo.MongoClient(uri, tz_aware=True)
        with _activated(client):
            read = {}
            for shape, ask in SHAPES.items():
                ask(now)
                statements.clear()
                assert _answer(ask(now)), shape
                read[shape] = [s for s in statements
                               if "FROM documents" in s and s.lstrip().upper().startswith("SELECT")]
        client.close()

    raw = sqlite3.connect(path)
    whole = raw.execute("SELECT COUNT(*) FROM documents WHERE coll_name = 'tickets_tickets'").fetchone()[0]
    scan_steps = vm_steps(raw, "SELECT COUNT(*) FROM documents WHERE db_name = 'ticketing' "
                             "AND coll_name = 'tickets_tickets' AND json_type(document, '$.price') IS NULL")
    problems = []
    for shape, shape_statements in read.items():
        assert shape_statements, shape
        for statement in shape_statements:
            plan = _plan(raw, statement)
            text = " | ".join(plan)
            if any(line.startswith("SCAN documents") for line in plan) or "TEMP B-TREE" in text:
                problems.append((shape, text))
            elif any(line.endswith("(db_name=? AND coll_name=?)") for line in plan if "documents" in line):
                # Only a MIN/MAX read (one index seek) may name no more than the collection; it costs no scan.
                if "MIN(" not in statement or vm_steps(raw, statement) * 20 > scan_steps:
                    problems.append((shape, text))
    assert whole == 2400 and problems == []


def test_the_answers_are_mongoecos_in_the_same_order(catalogue):
    path, now = catalogue
    assert _run_shapes(path, sqlite_engine_class(), now) == _run_shapes(path, _unoptimised(), now)


# --- values of every kind: the fast path must answer as mongoeco's plan does, or leave the query to it ----------

MIXED = [
    {"price": 5}, {"price": 5.5}, {"price": 0}, {"price": 1}, {"price": True}, {"price": False}, {"price": None},
    {}, {"price": "7"}, {"price": [3, 9]}, {"price": {"n": 4}}, {"price": {"$mongoeco": {"value": 2}}},
    {"price": datetime(2030, 1, 1)}, {"price": ObjectId()}, {"status": ["available", "x"], "price": 6},
    {"status": "Available", "price": 8}, {"status": None, "price": 8},
]


def _mixed_documents(extra, rng):
    documents = []
    for _ in range(60):
        documents.append({"_id": ObjectId(), "status": "available", "price": rng.choice([10, 20, 20, 30, 40.5]),
                          "at": datetime(2030, 1, 1) + timedelta(hours=rng.choice([1, 2, 2, 3]))})
    for fields in extra:
        documents.append({"_id": ObjectId(), "status": "available", "at": datetime(2030, 1, 2), **fields})
    return documents


QUERIES = [
    ({"status": "available"}, [("price", 1), ("_id", 1)]),
    ({"status": "available"}, [("price", -1), ("_id", -1)]),
    ({"status": "available", "price": {"$gte": 10, "$lt": 31}}, [("price", 1), ("_id", 1)]),
    ({"status": "available", "price": {"$lte": 20}}, [("price", -1), ("_id", -1)]),
    ({"status": "available", "at": {"$gt": datetime(2030, 1, 1, 1)}}, [("at", 1), ("_id", 1)]),
    ({"status": "available", "at": {"$lte": datetime(2030, 1, 1, 2)}}, [("at", -1), ("_id", -1)]),
    ({"at": {"$gte": datetime(2030, 1, 1, 2)}}, [("at", 1), ("_id", 1)]),
]


@pytest.mark.parametrize("extra", [[]] + [[fields] for fields in MIXED], ids=lambda e: repr(e)[:40])
def test_mixed_missing_and_odd_values_get_mongoecos_answers(tmp_path, extra):
    documents = _mixed_documents(extra, random.Random(7))
    answers = []
    for engine_class in (sqlite_engine_class(), _unoptimised()):
        path = tmp_path / f"{engine_class.__name__}.sqlite"
        with served_in_thread(None, engine=engine_class(str(path))) as (_, uri):
            db = pymongo.MongoClient(uri).ticketing
            db.items.create_index([("status", 1), ("price", 1), ("_id", 1)])
            db.items.create_index([("status", 1), ("at", 1), ("_id", 1)])
            db.items.create_index([("at", 1), ("_id", 1)])
            db.items.insert_many(documents)
            answers.append([([d["_id"] for d in db.items.find(spec, sort=sort)],
                             [d["_id"] for d in db.items.find(spec, sort=sort, skip=3, limit=5)],
                             db.command("count", "items", query=spec)["n"]) for spec, sort in QUERIES])
            db.client.close()
    assert answers[0] == answers[1]


def test_clean_values_are_read_in_index_order_and_odd_ones_are_left_to_mongoeco(tmp_path):
    with served_in_thread(tmp_path / "mongo.sqlite") as (_, uri):
        db = pymongo.MongoClient(uri).ticketing
        db.items.create_index([("status", 1), ("price", 1), ("_id", 1)])
        db.items.insert_many(_mixed_documents([], random.Random(3)))

        def indexed():
            """Return whether the sorted find is read in index order (no sort of its own, in SQL or in Python)."""
            explained = db.items.find({"status": "available"}, sort=[("price", 1), ("_id", 1)]).explain()
            lines = explained["details"]["engine_details"]
            return explained["strategy"] == "sql" and "INDEXED BY" in explained["details"]["pushdown"][
                "sqlFragment"] and not any("TEMP B-TREE" in line for line in lines)

        assert indexed()
        db.items.insert_one({"_id": ObjectId(), "status": "available", "price": True})
        assert not indexed()  # a boolean sorts after the numbers: mongoeco's own plan
        db.items.delete_many({"price": True})
        assert indexed()
        db.items.insert_one({"_id": ObjectId(), "status": "other", "price": {"$mongoeco": {"value": 1}}})
        assert not indexed()  # a user's "$mongoeco" key anywhere in the collection: never again on this server
        db.client.close()


# --- the event path's shapes: a boolean equality, two sort keys before `_id`, string `_id`s -----------------------

OUTBOX_MIXED = [
    {"relayed": 0}, {"relayed": 1}, {"relayed": 1.0}, {"relayed": None}, {}, {"relayed": [False]},
    {"version": True}, {"version": None}, {"version": "3"}, {"created_at": None}, {"created_at": 5},
]


@pytest.mark.parametrize("extra", [[]] + [[fields] for fields in OUTBOX_MIXED], ids=lambda e: repr(e)[:40])
def test_boolean_equalities_and_two_sort_keys_over_string_ids_get_mongoecos_answers(tmp_path, extra):
    rng = random.Random(13)
    at = datetime(2030, 1, 1)
    documents = [{"_id": f"{rng.choice('abcé')}{i:04d}", "relayed": rng.choice([True, False, False]),
                  "created_at": at + timedelta(milliseconds=rng.choice([0, 0, 1, 2])), "version": rng.choice([1, 2, 3])}
                 for i in range(80)]
    documents += [{"_id": f"odd{i}", "relayed": False, "created_at": at, "version": 2, **fields}
                  for i, fields in enumerate(extra)]
    order = [("created_at", 1), ("version", 1), ("_id", 1)]
    asked = [({"relayed": False}, order), ({"relayed": True}, order),
             ({"relayed": False, "created_at": {"$lte": at + timedelta(milliseconds=1)}}, order),
             ({"relayed": False}, [(field, -direction) for field, direction in order])]
    answers = []
    for engine_class in (sqlite_engine_class(), _unoptimised()):
        with served_in_thread(None, engine=engine_class(str(tmp_path / f"{engine_class.__name__}.sqlite"))) as (_, uri):
            db = pymongo.MongoClient(uri).ticketing
            db.outbox.create_index([("relayed", 1), ("created_at", 1), ("version", 1), ("_id", 1)])
            db.outbox.insert_many(documents)
            answers.append([([d["_id"] for d in db.outbox.find(spec, sort=sort)],
                             [d["_id"] for d in db.outbox.find(spec, sort=sort, skip=2, limit=7)],
                             db.command("count", "outbox", query=spec)["n"]) for spec, sort in asked])
            explained = db.outbox.find({"relayed": False}, sort=order).explain()
            answers[-1].append("INDEXED BY" in explained["details"]["pushdown"].get("sqlFragment", ""))
            db.client.close()
    indexed, reference_indexed = answers[0].pop(), answers[1].pop()
    assert answers[0] == answers[1]
    # Read in index order where every value is clean (an odd value may leave the query to mongoeco).
    assert (indexed or extra) and not reference_indexed
    # As MongoDB: the boolean false, or an array holding it; never the number 0.
    values = [d.get("relayed") for d in documents]
    assert answers[0][0][2] == sum(v is False or (type(v) is list and any(e is False for e in v)) for v in values)
