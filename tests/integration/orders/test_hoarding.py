"""One buyer may hold at most MAX_ACTIVE_ORDERS_PER_BUYER unpaid orders, enforced by the database under concurrency."""

import re
import threading
from collections import Counter

import pytest
from bson import ObjectId

from app.orders import services
from app.orders.errors import ReservationLimitReachedError
from tests.integration.tickets.support import csrf_token, list_ticket
from tests.servers import drain, sign_in

LIMIT_MESSAGE = "You can hold at most 4 reservations at a time"


@pytest.fixture
def tickets(app):
    """Return the ids of 12 tickets another user listed, already in orders' replica."""
    seller = str(ObjectId())
    with app.app_context():
        return [list_ticket(app, seller, f"Gig {n}", 10 + n) for n in range(12)]


def test_ten_simultaneous_reservations_by_one_buyer_make_exactly_four_orders(app, db, tickets):
    assert app.config["MAX_ACTIVE_ORDERS_PER_BUYER"] == 4  # the default
    buyer = app.test_client()
    buyer_id = sign_in(buyer)
    cookie = buyer.get_cookie("session").value
    clients = []
    for _ in range(10):
        clients.append(app.test_client())
        clients[-1].set_cookie("session", cookie)
    start = threading.Barrier(10)
    results = [None] * 10

    def attempt(n):
        start.wait()
        response = clients[n].post("/api/orders", json={"ticketId": tickets[n]})
        results[n] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert Counter(status for status, _ in results) == {201: 4, 400: 6}
    assert {str(body) for status, body in results if status == 400} == {
        str({"errors": [{"message": LIMIT_MESSAGE}]})}
    assert db.orders_orders.count_documents({"user_id": buyer_id}) == 4
    assert db.platform_outbox.count_documents({"type": "orders.order_created.v1"}) == 4


def test_a_place_comes_back_when_an_order_is_cancelled_or_paid(app, db, tickets):
    buyer = str(ObjectId())
    with app.app_context():
        placed = [str(services.place_order(buyer, t).id) for t in tickets[:4]]
        with pytest.raises(ReservationLimitReachedError):
            services.place_order(buyer, tickets[4])
        services.cancel_order(placed[0], buyer)
        fifth = str(services.place_order(buyer, tickets[4]).id)
        with pytest.raises(ReservationLimitReachedError):
            services.place_order(buyer, tickets[5])
        drain(app)  # tickets accepts the reservations
        assert services.complete_order(placed[1], "pay_1") is True
        services.place_order(buyer, tickets[5])
        # Other buyers are not affected by this one's holds.
        services.place_order(str(ObjectId()), tickets[6])
    holds = db.orders_buyer_holds.find_one({"_id": buyer})["order_ids"]
    assert len(holds) == 4 and placed[0] not in holds and placed[1] not in holds and fifth in holds
    assert db.orders_orders.count_documents({"user_id": buyer, "status": "created"}) == 4


def test_the_limit_is_a_setting_and_the_api_names_it(app, client, tickets):
    app.config["MAX_ACTIVE_ORDERS_PER_BUYER"] = 2
    sign_in(client)
    assert [client.post("/api/orders", json={"ticketId": t}).status_code for t in tickets[:2]] == [201, 201]
    refused = client.post("/api/orders", json={"ticketId": tickets[2]})
    assert refused.status_code == 400
    assert refused.get_json() == {"errors": [{"message": "You can hold at most 2 reservations at a time"}]}


def test_the_ticket_page_says_so_beside_the_purchase_button(app, client, tickets):
    sign_in(client)
    for ticket_id in tickets[:4]:
        assert client.post("/api/orders", json={"ticketId": ticket_id}).status_code == 201
    token = csrf_token(client, f"/tickets/{tickets[4]}")
    response = client.post("/orders", data={"csrf_token": token, "ticket_id": tickets[4]})
    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{tickets[4]}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    actions = re.search(r'<div class="actions">(.*?)</div>', page, re.S).group(1)
    assert LIMIT_MESSAGE in actions and 'id="purchase"' in actions
    assert page.count(LIMIT_MESSAGE) == 1  # beside the button, not again at the top of the page
