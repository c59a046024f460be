"""The payments context: it owns payment attempts, refunds and the Stripe conversation (PaymentIntents, webhooks).

It knows orders only through its replica built from `orders.*` events, tells orders about money with
`payments.payment_succeeded.v1`, and refunds money an order could not take (`payments.payment_refunded.v1`).
Its card field sits on the orders' order page through the "order_page" slot.
"""

from app.platform import slots

from .api import bp as api_bp
from .views import bp as pages_bp
from .views import render_order_slot

BLUEPRINTS = [pages_bp]
API_BLUEPRINTS = [api_bp]


def init_app(app):
    """Put the payment box on the order page."""
    slots.add(app, "order_page", render_order_slot)
