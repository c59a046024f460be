"""The payment part of the order page: the card field (a page slot) and the CSRF-protected routes its script calls."""

from bson import ObjectId
from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.platform.documents import as_utc, utcnow
from app.platform.http import json_body
from app.platform.money import format_money

from . import gateway, services
from .errors import OrderNotFoundError, OrderNotOwnedError
from .models import PAYABLE_STATUSES, Payment
from .queries import event_of, find_order

bp = Blueprint("payments", __name__, url_prefix="/payments", template_folder="templates")

@bp.get("/orders/<order_id>")
@login_required
def order_page(order_id):
    """Show an order's payment box on a page of its own, with the event it is for (the order page links here when
    payments is a service)."""
    order = find_order(order_id)
    if order.user_id != current_user.id:
        raise OrderNotOwnedError()
    panel = Markup(render_order_slot(order.id, order.status, order.amount, order.currency, order.expires_at,
                                     order.user_id))
    return render_template("payments/order.html", panel=panel, amount=order.amount, currency=order.currency,
                           order_id=order.id, show=event_of(order))


@bp.post("/orders/<order_id>/pay")
@login_required
def pay(order_id):
    """Pay for an order from the page's card token (CSRF token in X-CSRFToken); the same service as the API."""
    body = json_body()
    payment, client_secret = services.pay_for_order(order_id, current_user.id, body.get("token"))
    return jsonify({"payment": payment.to_json(client_secret)}), 201


@bp.post("/attempts/<payment_id>/sync")
@login_required
def sync(payment_id):
    """Record how Stripe says a pending attempt stands (the page calls this after 3-D Secure)."""
    if not ObjectId.is_valid(payment_id):
        abort(404)
    payment = Payment.objects(id=payment_id).first()
    if payment is None:
        abort(404)
    if payment.user_id != current_user.id:
        raise OrderNotOwnedError()
    payment, client_secret = services.sync_payment(payment_id)
    return jsonify({"payment": payment.to_json(client_secret)})


@bp.get("/orders/<order_id>/status")
@login_required
def status(order_id):
    """Answer whether the order is paid, with its attempts and refunds, for the page's polling."""
    state = services.order_payment_state(order_id)
    order = state["order"]
    if order is None:
        raise OrderNotFoundError()
    if order.user_id != current_user.id:
        raise OrderNotOwnedError()
    return jsonify({"paid": _paid(state, order.status), "orderStatus": order.status,
                    "payments": [p.to_json() for p in state["payments"]],
                    "refunds": [r.to_json() for r in state["refunds"]]})


def _paid(state, order_status):
    refunded = {r.payment_id for r in state["refunds"]}
    return order_status == "complete" or any(
        p.status == "succeeded" and p.holds_slot and str(p.id) not in refunded for p in state["payments"])


def render_order_slot(order_id, status, amount, currency, expires_at, user_id, **_):
    """Render the payment box of an order page: demo banner, card field or "Paid", and the order's refunds."""
    state = services.order_payment_state(str(order_id))
    stripe_settings = gateway.settings()
    owner = current_user.is_authenticated and current_user.id == str(user_id)
    expired = expires_at is not None and as_utc(expires_at) <= utcnow()
    pending = next((p for p in state["payments"] if p.status == "pending" and p.holds_slot), None)
    paid = _paid(state, status)
    return render_template(
        "payments/pay.html",
        order_id=str(order_id), owner=owner, paid=paid, pending=pending, refunds=state["refunds"],
        payable=status in PAYABLE_STATUSES and not expired and state["order"] is not None,
        replica_missing=state["order"] is None and status in PAYABLE_STATUSES,
        amount_text=format_money(amount, currency), format_money=format_money, amount=amount, currency=currency,
        paid_at=next((p.finished_at or p.created_at for p in state["payments"]
                      if p.status == "succeeded" and p.holds_slot), None),
        last_failure=next((p.failure_message for p in state["payments"][:1] if p.status == "failed"), None),
        demo=stripe_settings["demo"], js_url=stripe_settings["js_url"],
        publishable_key=stripe_settings["publishable_key"],
        pay_url=url_for("payments.pay", order_id=str(order_id)),
        status_url=url_for("payments.status", order_id=str(order_id)),
        sync_url_template=url_for("payments.sync", payment_id="PAYMENT_ID"),
    )
