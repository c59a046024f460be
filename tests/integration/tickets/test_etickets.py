"""E-tickets: a completed order gives its buyer a code only they see; the organiser's door checks it in once."""

import re
import threading
from datetime import datetime

import pytest

from tests.integration.tickets.etickets_support import sold_ticket
from tests.integration.tickets.support import csrf_token, user_client
from tests.servers import sign_in

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture
def sold(app):
    """Return a ticket of an upcoming event, bought and paid for by a buyer."""
    return sold_ticket(app)


def test_the_buyer_of_a_completed_order_gets_an_unguessable_code_on_the_order(app, db, sold):
    order = sold.buyer.get(f"/api/orders/{sold.order_id}").get_json()
    assert order["status"] == "complete"
    assert order["eticket"] == {"code": sold.code, "url": f"/etickets/{sold.code}"}
    # token_urlsafe(24): 32 URL-safe characters of 192 random bits.
    assert len(sold.code) == 32 and URL_SAFE.match(sold.code)
    stored = db.tickets_etickets.find_one({"code": sold.code})
    assert (stored["status"], stored["holder_id"], stored["holder_email"], stored["ticket_id"]) == (
        "valid", sold.buyer_id, sold.buyer_email, sold.ticket_id)
    assert sold.buyer.get("/api/orders").get_json()[0]["eticket"]["code"] == sold.code


def test_each_sale_gets_its_own_code(app):
    codes = {sold_ticket(app, with_event=False).code for _ in range(3)}
    assert len(codes) == 3


def test_an_order_that_is_not_complete_shows_no_eticket(app, sold):
    other, _ = user_client(app)
    listed = other.post("/api/tickets", json={"title": "Balcony", "price": 10}).get_json()
    from tests.integration.tickets.etickets_support import settle

    settle(app)
    buyer, _ = user_client(app)
    placed = buyer.post("/api/orders", json={"ticketId": listed["id"]}).get_json()
    assert placed["eticket"] is None
    assert buyer.get(f"/api/orders/{placed['id']}").get_json()["eticket"] is None


def test_nobody_but_the_holder_sees_the_code(app, client, sold):
    stranger, _ = user_client(app)
    for who in (stranger, sold.seller, sold.organiser):
        order = who.get(f"/api/orders/{sold.order_id}")
        assert order.status_code in (401, 404) and sold.code not in order.get_data(as_text=True)
        page = who.get(f"/etickets/{sold.code}")
        assert page.status_code == 404 and sold.code not in page.get_data(as_text=True)
        assert sold.code not in who.get("/api/tickets?holder=me").get_data(as_text=True)
        assert sold.code not in who.get("/account").get_data(as_text=True)
        assert sold.code not in who.get("/api/orders").get_data(as_text=True)
    # Signed out: sent to sign in, the code nowhere.
    anonymous = client.get(f"/etickets/{sold.code}")
    assert anonymous.status_code == 302 and "/auth/signin" in anonymous.headers["Location"]
    for path in (f"/api/tickets/{sold.ticket_id}", f"/tickets/{sold.ticket_id}", "/api/tickets", "/tickets",
                 f"/events/{sold.event_id}", f"/api/events/{sold.event_id}"):
        for who in (client, stranger, sold.seller):
            assert sold.code not in who.get(path).get_data(as_text=True), path


def test_the_holders_page_shows_the_event_and_a_qr_code_drawn_on_the_server(app, sold):
    page = sold.buyer.get(f"/etickets/{sold.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Radiohead" in html and "Madison Square Garden" in html and "New York" in html and "Stalls A12" in html
    assert sold.buyer_email in html
    svg = re.search(r'<svg[^>]*class="qr-code"[^>]*>.*?</svg>', html, re.S)
    assert svg and "<path" in svg.group(0)
    assert "etickets.css" in html and "<script>" not in html  # print styles; no inline script (strict CSP)
    assert sold.buyer.get("/etickets/not-a-code!").status_code == 404
    assert sold.buyer.get("/etickets/" + "A" * 32).status_code == 404


def test_the_order_page_links_the_buyer_to_the_eticket(app, sold):
    html = sold.buyer.get(f"/orders/{sold.order_id}").get_data(as_text=True)
    assert f'href="/etickets/{sold.code}"' in html


def test_the_organiser_verifies_a_code_and_nobody_else_learns_anything(app, client, sold):
    seen = sold.organiser.get(f"/api/etickets/{sold.code}")
    assert seen.status_code == 200
    body = seen.get_json()
    assert body == {"code": sold.code, "status": "valid", "ticketId": sold.ticket_id, "title": "Stalls A12",
                    "event": {"id": sold.event_id, "name": "Radiohead", "venue": "Madison Square Garden",
                              "city": "New York", "startsAt": body["event"]["startsAt"]},
                    "holder": sold.buyer_email, "checkedInAt": None}
    stranger, _ = user_client(app)
    for who in (stranger, sold.buyer, sold.seller):  # the holder has their page; the door is the organiser's
        answer = who.get(f"/api/etickets/{sold.code}")
        assert answer.status_code == 404 and answer.get_json() == {"errors": [{"message": "E-ticket not found"}]}
        assert who.post(f"/api/etickets/{sold.code}/check-in").status_code == 404
    assert sold.organiser.get("/api/etickets/" + "x" * 32).status_code == 404
    assert sold.organiser.get("/api/etickets/bad%20code").status_code == 404
    assert client.get(f"/api/etickets/{sold.code}").status_code == 401
    assert client.post(f"/api/etickets/{sold.code}/check-in").status_code == 401
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["status"] == "valid"  # nothing changed


def test_check_in_once_then_already_checked_in_with_the_time(app, db, sold):
    first = sold.organiser.post(f"/api/etickets/{sold.code}/check-in")
    assert first.status_code == 200
    body = first.get_json()
    assert body["status"] == "used" and datetime.fromisoformat(body["checkedInAt"])
    again = sold.organiser.post(f"/api/etickets/{sold.code}/check-in")
    assert again.status_code == 409
    assert again.get_json() == {"errors": [{"message": f"Already checked in at {body['checkedInAt']}"}]}
    assert sold.organiser.get(f"/api/etickets/{sold.code}").get_json()["checkedInAt"] == body["checkedInAt"]
    assert db.tickets_etickets.find_one({"code": sold.code})["status"] == "used"
    assert db.platform_outbox.count_documents({"type": "tickets.eticket_checked_in.v1"}) == 1


def test_ten_simultaneous_check_ins_let_exactly_one_in(app, sold):
    doors = []
    for _ in range(10):
        door = app.test_client()
        sign_in(door, user_id=sold.organiser_id)
        doors.append(door)
    start, statuses = threading.Barrier(10), []

    def scan(door):
        start.wait()
        statuses.append(door.post(f"/api/etickets/{sold.code}/check-in").status_code)

    threads = [threading.Thread(target=scan, args=(door,)) for door in doors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 9


def test_a_ticket_without_an_event_is_checked_in_by_its_seller(app):
    sold = sold_ticket(app, with_event=False)
    stranger, _ = user_client(app)
    assert stranger.post(f"/api/etickets/{sold.code}/check-in").status_code == 404
    assert sold.seller.get(f"/api/etickets/{sold.code}").get_json()["event"] is None
    assert sold.seller.post(f"/api/etickets/{sold.code}/check-in").status_code == 200


def test_the_door_page_answers_green_then_amber_and_counts(app, sold):
    door = f"/events/{sold.event_id}/door"
    page = sold.organiser.get(door).get_data(as_text=True)
    assert re.search(r'id="sold-count">1<.*id="checked-in-count">0<', page, re.S)
    assert 'name="code"' in page and "autofocus" in page and "<script>" not in page

    token = csrf_token(sold.organiser, door)
    green = sold.organiser.post(door, data={"csrf_token": token, "code": f"  {sold.code}\n"}).get_data(as_text=True)
    assert "door-green" in green and "Valid: let them in" in green and sold.buyer_email in green
    assert re.search(r'id="checked-in-count">1<', green)
    # A scanner that reads the e-ticket's URL types it whole: the code is its last part.
    amber = sold.organiser.post(door, data={"csrf_token": token, "code": f"http://x/etickets/{sold.code}"})
    html = amber.get_data(as_text=True)
    assert "door-amber" in html and "Already checked in" in html and sold.buyer_email in html
    assert "Checked in at" in html
    red = sold.organiser.post(door, data={"csrf_token": token, "code": "A" * 32}).get_data(as_text=True)
    assert "door-red" in red and "Unknown code" in red


def test_the_door_page_is_the_organisers_alone(app, client, sold):
    door = f"/events/{sold.event_id}/door"
    for who in (sold.buyer, sold.seller, user_client(app)[0]):
        assert who.get(door).status_code == 404
    assert client.get(door).status_code == 302
    assert sold.organiser.get("/events/0123456789abcdef01234567/door").status_code == 404
    assert 'id="door-link"' in sold.organiser.get(f"/events/{sold.event_id}").get_data(as_text=True)
    assert 'id="door-link"' not in sold.buyer.get(f"/events/{sold.event_id}").get_data(as_text=True)


def test_a_code_of_another_event_is_unknown_at_this_door(app, sold):
    other = sold_ticket(app)
    door = f"/events/{sold.event_id}/door"
    token = csrf_token(sold.organiser, door)
    html = sold.organiser.post(door, data={"csrf_token": token, "code": other.code}).get_data(as_text=True)
    assert "Unknown code" in html
