"""The embedded MongoDB server queues commands behind the one open transaction and never wedges on a dead client."""

import threading
import time

import pymongo
import pytest

from tests.servers import start_mongo


@pytest.fixture
def server(tmp_path, out_dir):
    """Start a private embedded server; return its URI."""
    proc, uri = start_mongo(tmp_path, out_dir)
    yield uri
    proc.stop()


def _client(uri, **options):
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000, **options)


def test_reads_and_writes_wait_for_the_open_transaction_instead_of_failing(server):
    holder, other = _client(server), _client(server)
    db = holder.get_default_database()
    db.items.insert_one({"_id": 1, "n": 0})
    session = holder.start_session()
    session.start_transaction()
    db.items.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)
    threading.Timer(0.3, session.commit_transaction).start()
    started = time.monotonic()
    seen = other.get_default_database().items.find_one({"_id": 1})  # waits its turn, sees the committed value
    assert seen["n"] == 1
    assert 0.2 < time.monotonic() - started < 3


def test_concurrent_transactions_all_commit(server):
    client = _client(server)
    db = client.get_default_database()
    db.counter.insert_one({"_id": 1, "n": 0})

    def bump():
        with client.start_session() as session, session.start_transaction():
            db.counter.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)

    threads = [threading.Thread(target=bump) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.counter.find_one({"_id": 1})["n"] == 10


def test_a_transaction_whose_client_vanished_is_aborted_and_frees_the_database(server):
    doomed = _client(server)
    session = doomed.start_session()
    session.start_transaction()
    doomed.get_default_database().items.insert_one({"_id": "uncommitted"}, session=session)
    doomed.close()  # the client dies without committing or aborting (as a SIGKILLed worker would)
    survivor = _client(server).get_default_database()
    started = time.monotonic()
    survivor.items.insert_one({"_id": "after"})
    assert time.monotonic() - started < 3
    assert survivor.items.find_one({"_id": "uncommitted"}) is None


def test_a_silent_transaction_is_aborted_so_others_proceed(server):
    hung = _client(server)
    session = hung.start_session()
    session.start_transaction()
    hung.get_default_database().items.insert_one({"_id": "never"}, session=session)
    # The client stays connected but sends nothing more (a hung worker).
    survivor = _client(server).get_default_database()
    started = time.monotonic()
    survivor.items.insert_one({"_id": "after"})
    assert time.monotonic() - started < 4.5
    assert survivor.items.find_one({"_id": "never"}) is None


def test_a_client_that_gave_up_while_queued_does_not_hold_the_database(server):
    holder = _client(server)
    session = holder.start_session()
    session.start_transaction()
    holder.get_default_database().items.insert_one({"_id": "held"}, session=session)
    impatient = _client(server, socketTimeoutMS=200)
    impatient_session = impatient.start_session()
    with pytest.raises(pymongo.errors.PyMongoError):
        impatient_session.start_transaction()
        impatient.get_default_database().items.insert_one({"_id": "gave-up"}, session=impatient_session)
    session.commit_transaction()
    # The queued start of the impatient client must not take the gate for nobody.
    started = time.monotonic()
    _client(server).get_default_database().items.insert_one({"_id": "next"})
    assert time.monotonic() - started < 1.0


def test_a_transaction_aborted_for_its_silence_commits_none_of_its_later_writes(mongodb_uri):
    """The gate aborts a transaction whose client went silent; what that client sends next in it must fail, as
    MongoDB's NoSuchTransaction does (retryable), and never run outside the transaction."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    stalled_client, other_client = MongoClient(mongodb_uri), MongoClient(mongodb_uri)
    collection = stalled_client.get_default_database().test_silent_transactions
    collection.delete_many({})
    try:
        with stalled_client.start_session() as session:
            session.start_transaction()
            collection.insert_one({"_id": "before the silence"}, session=session)
            time.sleep(2.6)  # longer than the gate lets a transaction stay silent
            # Someone else waits for the gate: it aborts the silent transaction and goes ahead.
            assert other_client.get_default_database().test_silent_transactions.find_one({"_id": "x"}) is None
            with pytest.raises(PyMongoError) as failed:
                collection.insert_one({"_id": "after the silence"}, session=session)
                session.commit_transaction()
            assert failed.value.has_error_label("TransientTransactionError")
        assert collection.count_documents({}) == 0
    finally:
        stalled_client.close()
        other_client.close()
