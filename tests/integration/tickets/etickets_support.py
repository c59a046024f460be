"""Helpers of the e-ticket tests: an event with a ticket, bought and paid for through the real services and events."""

from dataclasses import dataclass

from tests.integration.orders import flow
from tests.integration.tickets.support import schedule, user_client
from tests.servers import drain


@dataclass
class Sold:
    """A ticket of an event bought by a buyer: who is who, and the buyer's order and code."""

    ticket_id: str
    event_id: str | None
    organiser: object
    organiser_id: str
    seller: object
    seller_id: str
    buyer: object
    buyer_id: str
    buyer_email: str
    order_id: str
    code: str


def settle(app, worker=None, until=None, timeout=15.0):
    """Let events cross the contexts: drain the queue here, or (with a worker) wait until `until()` holds."""
    if worker is None:
        for _ in range(5):
            drain(app)
        return until() if until else None
    return flow.eventually(until, lambda: flow.pending_work(app.extensions["mongo"].db), timeout)


def buy(app, buyer, ticket_id, worker=None):
    """Reserve the ticket for `buyer` and pay for it; return the completed order's JSON (with its e-ticket)."""
    placed = buyer.post("/api/orders", json={"ticketId": ticket_id})
    assert placed.status_code == 201, placed.get_json()
    order_id = placed.get_json()["id"]
    settle(app, worker, lambda: flow.ticket(buyer, ticket_id)["status"] == "reserved")
    flow.pay(app, order_id, int(round(placed.get_json()["ticket"]["price"] * 100)))
    return settle(app, worker, lambda: (body := flow.order(buyer, order_id))["eticket"] and body)


def sold_ticket(app, price=50, with_event=True, worker=None, days=7):
    """List a ticket (for a new event, by default) and have a new buyer buy it; return a Sold."""
    organiser, organiser_id = user_client(app)
    seller, seller_id = user_client(app) if with_event else (organiser, organiser_id)
    event_id = schedule(app, organiser_id, days=days) if with_event else None
    body = {"title": "Stalls A12", "price": price} | ({"eventId": event_id} if event_id else {})
    created = seller.post("/api/tickets", json=body)
    assert created.status_code == 201, created.get_json()
    ticket_id = created.get_json()["id"]
    settle(app, worker, lambda: app.extensions["mongo"].db.orders_tickets.find_one({"_id": ticket_id}))
    buyer_email = f"buyer-{ticket_id[-6:]}@example.com"
    buyer, buyer_id = user_client(app, email=buyer_email)
    order = buy(app, buyer, ticket_id, worker)
    return Sold(ticket_id, event_id, organiser, organiser_id, seller, seller_id, buyer, buyer_id, buyer_email,
                order["id"], order["eticket"]["code"])
