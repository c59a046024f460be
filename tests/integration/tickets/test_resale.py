"""Resale: the holder sells a bought ticket again within the cap; the old code stays valid until the new buyer's order
completes, then it is void and the new buyer's code is valid. Run through a real Huey consumer where it crosses
contexts."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from tests.integration.orders import flow
from tests.integration.tickets.etickets_support import buy, settle, sold_ticket
from tests.integration.tickets.support import user_client


@pytest.fixture
def sold(app):
    """Return a ticket of an upcoming event bought for $50."""
    return sold_ticket(app, price=50)


def _resell(client, ticket_id, price):
    return client.post(f"/api/tickets/{ticket_id}/resale", json={"price": price})


def test_the_holder_resells_within_the_cap_and_the_ticket_is_for_sale_again(app, db, sold):
    before = flow.ticket(sold.buyer, sold.ticket_id)
    resold = _resell(sold.buyer, sold.ticket_id, 60)  # 20 % above $50
    assert resold.status_code == 201
    body = resold.get_json()
    assert (body["status"], body["userId"], body["price"], body["orderId"]) == ("available", sold.buyer_id, 60, None)
    assert body["version"] == before["version"] + 1
    assert sold.ticket_id in [t["id"] for t in sold.buyer.get("/api/tickets").get_json()]
    settle(app)
    replica = db.orders_tickets.find_one({"_id": sold.ticket_id})
    assert (replica["status"], replica["user_id"], replica["price"]) == ("available", sold.buyer_id, 6000)
    # While listed the holder's code still opens the door.
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"


def test_a_price_above_the_cap_is_refused_with_the_cap(app, sold):
    refused = _resell(sold.buyer, sold.ticket_id, 60.01)
    assert refused.status_code == 400
    assert refused.get_json() == {"errors": [{"message": "Resale price can be at most $60.00", "field": "price"}]}
    app.config["RESALE_MAX_MARKUP_PERCENT"] = 0
    assert _resell(sold.buyer, sold.ticket_id, 50.01).get_json()["errors"][0]["message"] == (
        "Resale price can be at most $50.00")
    for bad in ("", "abc", -5, None, True, [1]):
        assert _resell(sold.buyer, sold.ticket_id, bad).status_code == 400
    assert flow.ticket(sold.buyer, sold.ticket_id)["status"] == "sold"  # nothing changed


def test_only_the_holder_may_resell(app, client, sold):
    stranger, _ = user_client(app)
    assert _resell(client, sold.ticket_id, 50).status_code == 401
    assert _resell(stranger, sold.ticket_id, 50).status_code == 401
    by_seller = _resell(sold.seller, sold.ticket_id, 50)
    assert by_seller.status_code == 400
    assert by_seller.get_json()["errors"][0]["message"] == "Only a ticket you hold can be resold"
    assert _resell(sold.buyer, "0123456789abcdef01234567", 50).status_code == 404
    assert _resell(sold.buyer, "junk", 50).status_code == 404
    assert flow.ticket(sold.buyer, sold.ticket_id)["status"] == "sold"


def test_a_checked_in_ticket_or_a_started_event_cannot_be_resold(app, sold):
    assert _resell(sold.buyer, sold.ticket_id, 55).status_code == 201
    assert _resell(sold.buyer, sold.ticket_id, 55).get_json()["errors"][0]["message"] == (
        "This ticket is already for sale")
    assert sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 204

    assert sold.organiser.post(f"/api/etickets/{sold.code}/check-in").status_code == 200
    used = _resell(sold.buyer, sold.ticket_id, 55)
    assert (used.status_code, used.get_json()["errors"][0]["message"]) == (400, "A checked-in ticket cannot be resold")

    soon = sold_ticket(app, price=50, days=1)
    # As if its event had started: the ticket's copy of the start is what closes every sale of it.
    app.extensions["mongo"].db.tickets_tickets.update_one(
        {"_id": ObjectId(soon.ticket_id)}, {"$set": {"on_sale_until": datetime(2020, 1, 1, tzinfo=UTC)}})
    started = _resell(soon.buyer, soon.ticket_id, 50)
    assert (started.status_code, started.get_json()["errors"][0]["message"]) == (400, "The event has already started")


def test_a_resale_listing_keeps_its_title_and_cap_when_edited(app, sold):
    _resell(sold.buyer, sold.ticket_id, 55)
    over = sold.buyer.put(f"/api/tickets/{sold.ticket_id}", json={"title": "Stalls A12", "price": 61})
    assert over.status_code == 400 and over.get_json()["errors"][0]["field"] == "price"
    renamed = sold.buyer.put(f"/api/tickets/{sold.ticket_id}", json={"title": "VIP", "price": 58})
    assert renamed.status_code == 400 and renamed.get_json()["errors"][0]["field"] == "title"
    assert sold.buyer.put(f"/api/tickets/{sold.ticket_id}", json={"title": "Stalls A12", "price": 58}).status_code \
        == 200
    assert sold.seller.put(f"/api/tickets/{sold.ticket_id}", json={"title": "Stalls A12", "price": 5}).status_code \
        == 401


def test_withdraw_an_unreserved_listing_but_not_a_reserved_one(app, db, sold):
    stranger, _ = user_client(app)
    assert sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 400  # not for sale
    _resell(sold.buyer, sold.ticket_id, 55)
    settle(app)
    assert stranger.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 401
    assert sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 204
    shown = flow.ticket(sold.buyer, sold.ticket_id)
    assert (shown["status"], shown["orderId"]) == ("sold", sold.order_id)
    settle(app)
    # Orders gave the holder's order its slot back: nobody can reserve the ticket now.
    assert db.orders_orders.find_one({"_id": ObjectId(sold.order_id)})["active"] is True
    assert stranger.post("/api/orders", json={"ticketId": sold.ticket_id}).status_code == 400

    _resell(sold.buyer, sold.ticket_id, 55)
    settle(app)
    placed = stranger.post("/api/orders", json={"ticketId": sold.ticket_id})
    assert placed.status_code == 201
    settle(app)
    reserved = sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale")
    assert reserved.status_code == 400 and flow.ticket(sold.buyer, sold.ticket_id)["status"] == "reserved"
    assert "reservedUntil" in sold.buyer.get("/api/tickets?seller=me").get_json()[0]
    # The reservation ends: nothing changed for the holder, whose code is still valid.
    assert stranger.delete(f"/api/orders/{placed.get_json()['id']}").status_code == 204
    settle(app)
    assert flow.ticket(sold.buyer, sold.ticket_id)["status"] == "available"
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"


def test_a_withdrawal_that_overtakes_a_new_order_ends_that_order_unpaid(app, db, sold):
    """The holder withdraws while a buyer's order is still on its way to tickets: that order is cancelled and its
    late payment refused, never a second holder."""
    _resell(sold.buyer, sold.ticket_id, 55)
    settle(app)
    latecomer, _ = user_client(app)
    placed = latecomer.post("/api/orders", json={"ticketId": sold.ticket_id}).get_json()
    assert sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 204  # before tickets heard
    settle(app)
    order = flow.order(latecomer, placed["id"])
    assert order["status"] == "cancelled" and order["eticket"] is None
    assert db.orders_orders.find_one({"_id": ObjectId(placed["id"])})["cancel_reason"] == (
        "withdrawn")
    flow.pay(app, placed["id"], 5500)
    settle(app)
    assert flow.order(latecomer, placed["id"])["status"] == "cancelled"
    assert db.platform_outbox.count_documents({"type": "orders.order_payment_rejected.v1"}) == 1
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"
    assert db.tickets_etickets.count_documents({"ticket_id": sold.ticket_id}) == 1


def test_checking_in_a_listed_ticket_takes_it_off_sale(app, sold):
    _resell(sold.buyer, sold.ticket_id, 55)
    assert sold.organiser.post(f"/api/etickets/{sold.code}/check-in").status_code == 200
    shown = flow.ticket(sold.buyer, sold.ticket_id)
    assert (shown["status"], shown["orderId"]) == ("sold", sold.order_id)
    assert sold.ticket_id not in [t["id"] for t in sold.buyer.get("/api/tickets").get_json()]


@pytest.mark.consumer
def test_the_old_code_is_void_once_the_resale_completes_and_not_before(app, db, worker):
    sold = sold_ticket(app, price=50, worker=worker)
    assert _resell(sold.buyer, sold.ticket_id, 60).status_code == 201
    flow.wait_for_replica(db, sold.ticket_id, "available", flow.ticket(sold.buyer, sold.ticket_id)["version"])
    third, third_id = user_client(app, email="third@example.com")

    # Reserved by the third person: the holder's code still opens the door, and no second code exists.
    placed = third.post("/api/orders", json={"ticketId": sold.ticket_id})
    assert placed.status_code == 201, placed.get_json()
    order_id = placed.get_json()["id"]
    flow.eventually(lambda: flow.ticket(third, sold.ticket_id)["status"] == "reserved", lambda: "reserved")
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"
    assert db.tickets_etickets.count_documents({"ticket_id": sold.ticket_id}) == 1

    flow.pay(app, order_id, 6000)
    order = flow.eventually(lambda: (body := flow.order(third, order_id))["eticket"] and body,
                            lambda: flow.pending_work(db))
    new_code = order["eticket"]["code"]
    assert new_code != sold.code
    old = sold.organiser.get(f"/api/etickets/{sold.code}").get_json()
    new = sold.organiser.get(f"/api/etickets/{new_code}").get_json()
    assert (old["status"], new["status"], new["holder"]) == ("void", "valid", "third@example.com")
    voided = sold.organiser.post(f"/api/etickets/{sold.code}/check-in")
    assert voided.status_code == 410 and voided.get_json()["errors"][0]["message"] == (
        "This e-ticket is void: the ticket was resold")
    assert sold.organiser.post(f"/api/etickets/{new_code}/check-in").status_code == 200

    # Both sales in both histories: the first buyer's order stays complete, the ticket's page lists two sales.
    assert flow.order(sold.buyer, sold.order_id)["status"] == "complete"
    assert flow.order(third, order_id)["status"] == "complete"
    assert sold.buyer.get(f"/etickets/{sold.code}").get_data(as_text=True).count("void") >= 1
    assert third.get(f"/etickets/{sold.code}").status_code == 404
    page = third.get(f"/tickets/{sold.ticket_id}").get_data(as_text=True)
    assert "Sold for" in page and "Resold for" in page and "$60.00" in page
    sold_rows = sold.buyer.get("/api/tickets?seller=me").get_json()
    assert [(r["id"], r["sale"]["price"], r["sale"]["orderId"]) for r in sold_rows] == [
        (sold.ticket_id, 60, order_id)]
    assert sold.buyer.get("/api/tickets?holder=me").get_json() == []
    held = third.get("/api/tickets?holder=me").get_json()
    assert [(r["id"], r["eticket"]["code"]) for r in held] == [(sold.ticket_id, new_code)]
    flow.assert_contexts_agree(db, sold.ticket_id)


@pytest.mark.consumer
def test_an_expired_resale_reservation_changes_nothing(app, db, worker):
    sold = sold_ticket(app, price=50, worker=worker)
    _resell(sold.buyer, sold.ticket_id, 50)
    flow.wait_for_replica(db, sold.ticket_id, "available", flow.ticket(sold.buyer, sold.ticket_id)["version"])
    app.config["ORDER_EXPIRATION_SECONDS"] = 1
    third, _ = user_client(app)
    order_id = third.post("/api/orders", json={"ticketId": sold.ticket_id}).get_json()["id"]
    flow.wait_for_order(third, order_id, "cancelled", timeout=15)
    flow.eventually(lambda: flow.ticket(third, sold.ticket_id)["status"] == "available", lambda: "released")
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"
    assert db.tickets_etickets.count_documents({"ticket_id": sold.ticket_id}) == 1
    # And it can still be bought by someone else, through the same order and payment flow.
    fourth, _ = user_client(app)
    order = buy(app, fourth, sold.ticket_id, worker)
    assert order["eticket"]["code"] != sold.code


def test_money_paid_while_the_withdrawal_was_on_its_way_goes_back(app, db, sold):
    """Paid before tickets heard of the order or of its withdrawal: orders completes an order only once tickets has
    accepted its reservation, which never comes; the withdrawal ends the order and the money is refused (refunded).
    The holder keeps the ticket and no second code exists."""
    _resell(sold.buyer, sold.ticket_id, 55)
    settle(app)
    quick, _ = user_client(app)
    placed = quick.post("/api/orders", json={"ticketId": sold.ticket_id}).get_json()
    flow.pay(app, placed["id"], 5500)
    assert sold.buyer.delete(f"/api/tickets/{sold.ticket_id}/resale").status_code == 204
    settle(app)
    flow.eventually(lambda: flow.order(quick, placed["id"])["status"] == "cancelled", lambda: flow.pending_work(db))
    settle(app, until=lambda: db.platform_outbox.count_documents({"type": "orders.order_payment_rejected.v1"}))
    assert flow.order(quick, placed["id"])["eticket"] is None
    shown = flow.ticket(quick, sold.ticket_id)
    assert (shown["status"], shown["orderId"]) == ("sold", sold.order_id)
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"
    assert db.tickets_etickets.count_documents({"ticket_id": sold.ticket_id}) == 1
