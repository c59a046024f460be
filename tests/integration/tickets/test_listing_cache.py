"""The tickets listing is served from a copy that each committed tickets event renews, not re-read per request."""

import pytest
from bson import ObjectId

from app.platform.identity import new_session_values
from app.tickets import services


@pytest.fixture
def caching_app(app):
    """Return the app with its read cache on, as outside tests (the fixtures here wipe data behind its back)."""
    app.config.update(TESTING=False, READ_CACHE_SECONDS=60.0)
    return app


def test_tickets_page_and_api_follow_a_ticket_change_as_soon_as_it_commits(caching_app, db):
    visitor = caching_app.test_client()
    with caching_app.app_context():
        ticket = services.create_ticket(str(ObjectId()), "Early bird", 30)
    assert "Early bird" in visitor.get("/tickets").get_data(as_text=True)
    assert [t["title"] for t in visitor.get("/api/tickets").json] == ["Early bird"]

    # A write that emits no event is invisible to the copy: proof the pages are not read from the database per request.
    db.tickets_tickets.update_one({"_id": ticket.id}, {"$set": {"title": "Sneaky"}})
    assert "Sneaky" not in visitor.get("/tickets").get_data(as_text=True)

    # A change through the service commits a tickets event, which renews every copy at once.
    with caching_app.app_context():
        services.update_ticket(str(ticket.id), ticket.user_id, "Late bird", 35)
    assert "Late bird" in visitor.get("/tickets").get_data(as_text=True)
    assert [t["title"] for t in visitor.get("/api/tickets").json] == ["Late bird"]


def test_a_visitor_with_a_session_gets_a_page_rendered_for_them(caching_app):
    with caching_app.app_context():
        services.create_ticket(str(ObjectId()), "Gig", 12)
    anonymous = caching_app.test_client().get("/").get_data(as_text=True)
    member = caching_app.test_client()
    with member.session_transaction() as session:
        session.update({"_user_id": str(ObjectId()), **new_session_values("fan@example.com"), "_fresh": True})
    page = member.get("/").get_data(as_text=True)
    assert "fan@example.com" in page and "fan@example.com" not in anonymous


def test_a_cached_listing_drops_an_event_the_moment_it_starts(caching_app):
    """No write announces that an event started: the copies are keyed by the next start, so they stop at it."""
    from tests.integration.tickets.support import list_for_event, schedule, wait_until_started

    visitor = caching_app.test_client()
    soon = schedule(caching_app, name="Matinee", seconds=3)
    later = schedule(caching_app, name="Evening show", days=1)
    ticket_id = list_for_event(caching_app, soon, title="Stalls")

    def listed():
        return ([e["id"] for e in visitor.get("/api/events").json], [t["id"] for t in visitor.get("/api/tickets").json],
                "Matinee" in visitor.get("/").get_data(as_text=True))

    assert listed() == ([soon, later], [ticket_id], True)
    assert listed() == ([soon, later], [ticket_id], True)  # from the copies now
    wait_until_started(visitor, soon)
    assert listed() == ([later], [], False)


def test_copies_of_searches_are_bounded(caching_app, monkeypatch):
    """Search words come from visitors: a flood of distinct searches must not grow the process's memory forever."""
    from app.platform import freshness

    monkeypatch.setattr(freshness, "MAX_ENTRIES", 5)
    visitor = caching_app.test_client()
    for n in range(12):
        assert visitor.get(f"/api/events?q=word{n}").status_code == 200
    assert len(freshness._store(caching_app).copies) <= 5
