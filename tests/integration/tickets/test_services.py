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
        assert services.reserve_ticket(ticket_id, first) is True
        assert services.release_ticket(ticket_id, first) is True
        assert services.reserve_ticket(ticket_id, second) is True
        assert services.sell_ticket(ticket_id, second) is True
    assert _events(db, ticket_id) == [(0, "available", None), (1, "reserved", first), (2, "available", None),
                                      (3, "reserved", second), (4, "sold", second)]
    assert _ticket(db, ticket_id)["version"] == 4


def test_redelivered_changes_emit_nothing_new(app, db, ticket_id):
    order = str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, order)
        assert services.reserve_ticket(ticket_id, order) is False
        services.sell_ticket(ticket_id, order)
        assert services.sell_ticket(ticket_id, order) is False
    assert len(_events(db, ticket_id)) == 3


def test_stale_cancellation_never_releases_a_newer_reservation(app, db, ticket_id):
    old, new = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old)
        services.release_ticket(ticket_id, old)
        services.reserve_ticket(ticket_id, new)
        assert services.release_ticket(ticket_id, old) is False
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["order_id"], ticket["version"]) == ("reserved", new, 3)


def test_cancellation_arriving_before_its_creation_keeps_the_ticket_available(app, db, ticket_id):
    order = str(ObjectId())
    with app.app_context():
        assert services.release_ticket(ticket_id, order) is False
        assert services.reserve_ticket(ticket_id, order) is False
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["version"]) == ("available", 0)
    assert _events(db, ticket_id) == [(0, "available", None)]


def test_new_reservation_waits_until_the_previous_holder_is_released(app, db, ticket_id):
    old, new = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old)
        # The newer order's creation overtook the older order's cancellation: wait rather than guess.
        with pytest.raises(EventNotReadyError):
            services.reserve_ticket(ticket_id, new)
        services.release_ticket(ticket_id, old)
        assert services.reserve_ticket(ticket_id, new) is True
    assert _ticket(db, ticket_id)["order_id"] == new


def test_sale_wins_over_an_older_holder_whose_end_is_still_travelling(app, db, ticket_id):
    old, paid = str(ObjectId()), str(ObjectId())
    with app.app_context():
        services.reserve_ticket(ticket_id, old)
        assert services.sell_ticket(ticket_id, paid) is True
        assert services.release_ticket(ticket_id, old) is False
        assert services.reserve_ticket(ticket_id, paid) is False
    ticket = _ticket(db, ticket_id)
    assert (ticket["status"], ticket["order_id"]) == ("sold", paid)


def test_events_for_an_unknown_ticket_change_nothing(app, db):
    with app.app_context():
        assert services.reserve_ticket(str(ObjectId()), str(ObjectId())) is False
        assert services.release_ticket("garbage", str(ObjectId())) is False
    assert db.platform_outbox.count_documents({}) == 0
