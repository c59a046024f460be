"""Orders' part in e-tickets: the buyer's email travels in its events, the code comes back in an event, and the
buyer alone sees it on their order."""

from bson import ObjectId

from app.orders import services
from tests.integration.tickets.etickets_support import sold_ticket


def test_the_buyers_email_travels_in_the_orders_events(app, db):
    sold = sold_ticket(app, with_event=False)
    created = db.platform_outbox.find_one({"type": "orders.order_created.v1", "aggregate_id": sold.order_id})
    completed = db.platform_outbox.find_one({"type": "orders.order_completed.v1", "aggregate_id": sold.order_id})
    assert created["payload"]["user_email"] == completed["payload"]["user_email"] == sold.buyer_email


def test_the_code_arrives_by_event_and_a_redelivery_changes_nothing(app, db):
    sold = sold_ticket(app, with_event=False)
    issued = db.platform_outbox.find_one({"type": "tickets.eticket_issued.v1"})
    assert issued["payload"]["order_id"] == sold.order_id and issued["payload"]["code"] == sold.code
    assert db.orders_orders.find_one({"_id": ObjectId(sold.order_id)})["eticket_code"] == sold.code
    with app.app_context():
        assert services.record_eticket(sold.order_id, sold.code) is False  # the same code again: no change
        assert services.record_eticket(str(ObjectId()), "x" * 32) is False  # an order orders does not know
        assert services.record_eticket("garbage", "x" * 32) is False
    order = db.orders_orders.find_one({"_id": ObjectId(sold.order_id)})
    assert (order["eticket_code"], order["version"], order["status"]) == (sold.code, 1, "complete")


def test_an_orders_list_shows_each_buyer_only_their_own_codes(app):
    first, second = sold_ticket(app, with_event=False), sold_ticket(app, with_event=False)
    mine = first.buyer.get("/api/orders").get_json()
    assert [o["eticket"]["code"] for o in mine] == [first.code]
    assert second.code not in first.buyer.get("/api/orders").get_data(as_text=True)
    assert first.buyer.get(f"/api/orders/{second.order_id}").status_code == 401
