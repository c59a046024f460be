"""The invariant under load: many buyers racing for one ticket, and the database lets exactly one win."""

import threading
from collections import Counter

from bson import ObjectId

from tests.integration.tickets.support import list_ticket, user_client

BUYERS = 50


def test_fifty_concurrent_reservations_of_one_ticket_make_exactly_one_order(app, db):
    with app.app_context():
        ticket_id = list_ticket(app, str(ObjectId()), "Final", 99)
    clients = [user_client(app)[0] for _ in range(BUYERS)]
    start = threading.Barrier(BUYERS)
    results = [None] * BUYERS

    def attempt(n):
        start.wait()
        response = clients[n].post("/api/orders", json={"ticketId": ticket_id})
        results[n] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert Counter(status for status, _ in results) == {201: 1, 400: BUYERS - 1}
    refusals = {body["errors"][0]["message"] for status, body in results if status == 400}
    assert refusals == {"Ticket is already reserved"}
    assert db.orders_orders.count_documents({"ticket_id": ticket_id}) == 1
    assert db.platform_outbox.count_documents({"type": "orders.order_created.v1"}) == 1
