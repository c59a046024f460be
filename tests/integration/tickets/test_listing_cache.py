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


def test_home_and_api_follow_a_ticket_change_as_soon_as_it_commits(caching_app, db):
    visitor = caching_app.test_client()
    with caching_app.app_context():
        ticket = services.create_ticket(str(ObjectId()), "Early bird", 30)
    assert "Early bird" in visitor.get("/").get_data(as_text=True)
    assert [t["title"] for t in visitor.get("/api/tickets").json] == ["Early bird"]

    # A write that emits no event is invisible to the copy: proof the pages are not read from the database per request.
    db.tickets_tickets.update_one({"_id": ticket.id}, {"$set": {"title": "Sneaky"}})
    assert "Sneaky" not in visitor.get("/").get_data(as_text=True)

    # A change through the service commits a tickets event, which renews every copy at once.
    with caching_app.app_context():
        services.update_ticket(str(ticket.id), ticket.user_id, "Late bird", 35)
    assert "Late bird" in visitor.get("/").get_data(as_text=True)
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
