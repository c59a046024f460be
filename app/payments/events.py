"""Events the payments context publishes."""

from dataclasses import dataclass

from app.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(Event):
    """Stripe confirmed the money for an order (once per order; a repeated webhook or request never fires it again).

    Amount is in minor units of `currency`.
    """

    type = "payments.payment_succeeded.v1"
    order_id: str
    stripe_id: str
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    """Money an order could not take was refunded through Stripe (once per payment).

    `reason` says why, in words shown to the buyer: "order cancelled", "duplicate payment", "amount mismatch" (the
    money received was not the order's price in its currency), or "order <why orders rejected it>".
    """

    type = "payments.payment_refunded.v1"
    order_id: str
    refund_id: str
    amount: int
    currency: str
    reason: str = ""  # why: "duplicate payment", "order expired", "order cancelled", "order already paid", ...
