"""What the buyer reads when an order ends because its ticket was used at the door before their payment arrived."""

from app.notifications import emails


def test_the_refund_says_the_ticket_was_used_at_the_door():
    reason, meaning = emails.refund_reason("order checked in")  # payments' words for orders' rejection
    assert reason == "ticket used at the door"
    assert "used at the door by its holder before your payment arrived" in meaning


def test_the_ended_order_email_says_why_and_that_the_money_goes_back(app):
    with app.test_request_context():
        subject, text, html = emails.render("reservation_ended", {
            "title": "Stalls A12", "reason": "checked in", "ended": "was cancelled", "pay_by": "12:00 UTC",
            "price": "$60.00", "ticket_url": None, "home_url": "http://store/"})
    for body in (text, html):
        assert "used at the door by its holder before your payment arrived" in body
        assert "refunded" in body and "You cancelled" not in body and "Nothing was charged" not in body
    assert subject == "Your reservation was cancelled: Stalls A12"
