"""Refusals of the payments context."""

from app.platform.errors import (
    DomainError,
    NotAuthorizedError,
    NotFoundError,
    ValidationError,
)


class OrderNotFoundError(NotFoundError):
    """Payments knows no such order (unknown id, or its creation has not reached us yet)."""

    message = "Order not found"


class OrderNotOwnedError(NotAuthorizedError):
    """The order belongs to another user."""


class OrderCancelledError(DomainError):
    """The order was cancelled (by the buyer or by expiry); it takes no more money."""

    message = "Cannot pay for a cancelled order"


class OrderExpiredError(DomainError):
    """The order's reservation ran out; orders is about to cancel it."""

    message = "Cannot pay for an expired order"


class OrderAlreadyPaidError(DomainError):
    """A payment for the order has already succeeded."""

    message = "This order is already paid"


class PaymentInProgressError(DomainError):
    """Another payment attempt for the order is in flight; charging again could charge twice."""

    status_code = 409
    message = "A payment for this order is already in progress"


class PaymentTokenInvalidError(DomainError):
    """The request carries no usable Stripe token."""

    message = "A card token (pm_… or tok_…) is required"

    def __init__(self, message=None, field="token"):
        super().__init__(message, field)


class PaymentDeclinedError(DomainError):
    """Stripe declined the card; the order stays payable."""

    status_code = 402
    message = "Your card was declined."


class PaymentProviderUnavailableError(DomainError):
    """Stripe could not be reached or failed; nothing was charged as far as we know and the order stays payable."""

    status_code = 502
    message = "The payment provider could not be reached; you were not charged, please try again"


class PaymentProviderError(DomainError):
    """Stripe refused the request for a reason other than the card."""

    status_code = 502
    message = "The payment provider refused the payment"


class WebhookSignatureError(ValidationError):
    """The webhook body is not signed with our secret, or its signature is too old or dated in the future."""

    def __init__(self):
        super().__init__({"Stripe-Signature": "Invalid or expired webhook signature"})
