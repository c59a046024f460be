"""My tickets: what I hold, sell and sold, as JSON (`holder=me`, `seller=me`, paged) and on /account."""

import pytest

from tests.integration.tickets.etickets_support import settle, sold_ticket
from tests.integration.tickets.support import csrf_token, user_client


@pytest.fixture
def sold(app):
    """Return a ticket of an upcoming event bought for $50."""
    return sold_ticket(app, price=50)


def test_holder_me_lists_the_callers_tickets_with_their_codes(app, sold):
    response = sold.buyer.get("/api/tickets?holder=me")
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "1"
    [row] = response.get_json()
    assert (row["id"], row["status"], row["title"], row["eventId"]) == (sold.ticket_id, "sold", "Stalls A12",
                                                                        sold.event_id)
    assert row["eticket"] == {"code": sold.code, "url": f"/etickets/{sold.code}", "status": "valid",
                              "checkedInAt": None}
    assert user_client(app)[0].get("/api/tickets?holder=me").get_json() == []


def test_seller_me_lists_what_i_sell_then_what_i_sold(app, sold):
    listed = sold.seller.post("/api/tickets", json={"title": "Box 3", "price": 80, "eventId": sold.event_id})
    rows = sold.seller.get("/api/tickets?seller=me").get_json()
    assert [(r["id"], r["status"], r["sale"]) for r in rows[:1]] == [(listed.get_json()["id"], "available", None)]
    assert rows[0]["reservedUntil"] is None
    assert (rows[1]["id"], rows[1]["sale"]["price"], rows[1]["sale"]["orderId"], rows[1]["sale"]["currency"]) == (
        sold.ticket_id, 50, sold.order_id, "USD")
    assert rows[1]["sale"]["soldAt"].endswith("Z")
    assert sold.buyer.get("/api/tickets?seller=me").get_json() == []


def test_my_lists_are_paged_with_headers(app):
    seller, _ = user_client(app)
    ids = [seller.post("/api/tickets", json={"title": f"Seat {n}", "price": 10 + n}).get_json()["id"]
           for n in range(5)]
    first = seller.get("/api/tickets?seller=me&perPage=2")
    assert first.headers["X-Total-Count"] == "5" and 'rel="next"' in first.headers["Link"]
    assert "prev" not in first.headers["Link"]
    assert [r["id"] for r in first.get_json()] == ids[::-1][:2]
    last = seller.get("/api/tickets?seller=me&perPage=2&page=3")
    assert [r["id"] for r in last.get_json()] == [ids[0]] and 'rel="prev"' in last.headers["Link"]
    assert seller.get("/api/tickets?seller=me&perPage=2&page=9").get_json() == []


def test_my_lists_need_a_signed_in_caller_and_say_what_is_wrong(app, client):
    assert client.get("/api/tickets?holder=me").status_code == 401
    assert client.get("/api/tickets?seller=me").status_code == 401
    signed_in, _ = user_client(app)
    for query, field in (("holder=someone", "holder"), ("seller=", "seller"), ("holder=me&seller=me", "seller"),
                         ("holder=me&perPage=0", "perPage"), ("seller=me&page=x", "page")):
        response = signed_in.get(f"/api/tickets?{query}")
        assert response.status_code == 400, query
        assert field in [e.get("field") for e in response.get_json()["errors"]], query


def test_account_page_shows_held_selling_and_sold(app, sold):
    html = sold.buyer.get("/account").get_data(as_text=True)
    assert 'href="/account"' in html and "My tickets" in html
    assert f'href="/etickets/{sold.code}"' in html and "at most $60.00" in html

    token = csrf_token(sold.buyer, "/account")
    resold = sold.buyer.post(f"/tickets/{sold.ticket_id}/resale", data={"csrf_token": token, "price": "55"})
    assert resold.status_code == 302 and resold.headers["Location"] == f"/tickets/{sold.ticket_id}"
    assert "Your ticket is for sale again" in sold.buyer.get(resold.headers["Location"]).get_data(as_text=True)
    html = sold.buyer.get("/account").get_data(as_text=True)
    assert f'id="selling-{sold.ticket_id}"' in html and "Withdraw" in html and "$55.00" in html

    withdrawn = sold.buyer.post(f"/tickets/{sold.ticket_id}/resale/withdraw", data={"csrf_token": token})
    assert withdrawn.status_code == 302
    assert "no longer for sale" in sold.buyer.get("/account").get_data(as_text=True)

    too_dear = sold.buyer.post(f"/tickets/{sold.ticket_id}/resale", data={"csrf_token": token, "price": "99"})
    assert "Resale price can be at most $60.00" in sold.buyer.get(too_dear.headers["Location"]).get_data(
        as_text=True)
    settle(app)
    seller_html = sold.seller.get("/account").get_data(as_text=True)
    assert 'class="sold-row"' in seller_html and "$50.00" in seller_html


def test_account_forms_need_their_csrf_token_and_a_signed_in_holder(app, client, sold):
    assert client.get("/account").status_code == 302
    assert sold.buyer.post(f"/tickets/{sold.ticket_id}/resale", data={"price": "55"}).status_code == 400
    stranger, _ = user_client(app)
    token = csrf_token(stranger, "/account")
    stranger.post(f"/tickets/{sold.ticket_id}/resale", data={"csrf_token": token, "price": "55"})
    assert sold.buyer.get(f"/api/tickets/{sold.ticket_id}").get_json()["status"] == "sold"
