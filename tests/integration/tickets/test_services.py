"""Tickets follow their orders: reserve, release and sell, each a new version with its event, in any arrival order."""

import pytest
from bson import ObjectId

from app.platform.errors import EventNotReadyError
from app.tickets import services


@pytest.fixture
def ticket_id(app):
    """Return the id of a freshly listed ticket (version 0)."""
    with app.app_context():
        return str(services.create_ticket(str(ObjectId()), "Concert", 30).id)


def _ticket(db, ticket_id):
    return db.tickets_tickets.find_one({"_id": ObjectId(ticket_id)})


def _events(db, ticket_id):
    return [(e["version"], e["payload"]["status"], e["payload"]["order_id"])
            for e in db.platform_outbox.find({"aggregate_id": ticket_id}, sort=[("version", 1)])]


def test_reserve_release_sell_each_emit_the_next_version(app, db, ticket_id):
    first, second = str(ObjectId()), str(ObjectId())
    with app.app_context():
        assert services.reserve_ticket(ticket_id, first, 0) is True
        assert services.release_ticket(ticket_id, first, 1) is True
        assert services.reserve_ticket(ticket_id, second, 0) is True
        assert services.sell_ticket(ticket_id, second, 1) is True
    assert _events(db, ticket_id) == [(0, "available", None), (1, "reserved", first), (2, "available", None),
                                      (3, "reserved", second), (4, "sold", second)]
    assert _ticket(db, ticket_id)["version"] == 4


def test_redelivered_changes_emit_nothing_new(app, db, ticket_id):
    order = str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, order, 0)
        assert services.reserve_ticket(ticket_id, order, 0) is False
        services.sell_ticket(ticket_id, order, 1)
        assert services.sell_ticket(ticket_id, order, 1) is False
    assert len(_events(db, ticket_id)) == 3


def test_stale_cancellation_never_releases_a_newer_reservation(app, db, ticket_id):
    old, new = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old, 0)
        services.release_ticket(ticket_id, old, 1)
        services.reserve_ticket(ticket_id, new, 0)
        assert services.release_ticket(ticket_id, old, 1) is False
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["order_id"], ticket["version"]) == ("reserved", new, 3)


def test_cancellation_arriving_before_its_creation_waits_for_it(app, db, ticket_id):
    order = str(ObjectId())
    with app.app_context():
        with pytest.raises(EventNotReadyError):
            services.release_ticket(ticket_id, order, 1)
        assert services.reserve_ticket(ticket_id, order, 0) is True
        assert services.release_ticket(ticket_id, order, 1) is True
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["order_id"], ticket["version"]) == ("available", None, 2)


def test_what_tickets_keeps_per_order_does_not_grow_with_its_events(app, db, ticket_id):
    orders = [str(ObjectId()) for _ in range(5)]
    words = _ticket(db, ticket_id)["keywords"]
    with app.app_context():
        for order in orders:
            services.reserve_ticket(ticket_id, order, 0)
            services.release_ticket(ticket_id, order, 1)
    ticket = _ticket(db, ticket_id)
    # Its search words are the one array, bounded by its title and its event's words, untouched by orders.
    assert ticket["keywords"] == words
    assert not any(isinstance(value, list) for key, value in ticket.items() if key != "keywords")
    assert [doc["version"] for doc in db.tickets_orders.find({"_id": {"$in": orders}})] == [1] * 5


def test_new_reservation_waits_until_the_previous_holder_is_released(app, db, ticket_id):
    old, new = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old, 0)
        # The newer order's creation overtook the older order's cancellation: wait rather than guess.
        with pytest.raises(EventNotReadyError):
            services.reserve_ticket(ticket_id, new, 0)
        services.release_ticket(ticket_id, old, 1)
        assert services.reserve_ticket(ticket_id, new, 0) is True
    assert _ticket(db, ticket_id)["order_id"] == new


def test_a_sale_waits_for_its_reservation_which_waits_for_the_older_holders_end(app, db, ticket_id):
    old, paid = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old, 0)
        with pytest.raises(EventNotReadyError):
            services.sell_ticket(ticket_id, paid, 1)  # the paid order's creation has not been applied
        with pytest.raises(EventNotReadyError):
            services.reserve_ticket(ticket_id, paid, 0)  # the older holder's end has not arrived
        assert services.release_ticket(ticket_id, old, 1) is True
        assert services.reserve_ticket(ticket_id, paid, 0) is True
        assert services.sell_ticket(ticket_id, paid, 1) is True
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["order_id"]) == ("sold", paid)


def test_events_for_an_unknown_ticket_change_nothing(app, db):
    with app.app_context():
        order = str(ObjectId())
        assert services.reserve_ticket(str(ObjectId()), order, 0) is False
        assert services.release_ticket("garbage", order, 1) is False
    assert db.platform_outbox.count_documents({}) == 0
