"""Prices: the rules for a price a seller types, parsed into integer minor units (showing them is the platform's)."""

from decimal import Decimal, InvalidOperation

from app.platform.money import exponent, format_money, input_value, to_major

MAX_PRICE = Decimal(1000000)
class PriceError(ValueError):
    """A price a user typed cannot be a ticket's price; the message says why."""


def to_minor(value, currency):
    """Return a major-unit price (number or numeric text) as integer minor units, or raise PriceError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PriceError("Price is required")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise PriceError("Price must be a number")
    try:
        # str() first: a float's shortest repr is what the user typed (20.5, not 20.499999...).
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceError("Price must be a number") from None
    if not amount.is_finite():
        raise PriceError("Price must be a number")
    if amount <= 0:
        raise PriceError("Price must be greater than 0")
    if amount > MAX_PRICE:
        raise PriceError("Price must be at most 1,000,000")
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise PriceError(f"Price must have at most {places} decimal places" if places else "Price must be whole")
    return int(scaled)


__all__ = ["MAX_PRICE", "PriceError", "exponent", "format_money", "input_value", "to_major", "to_minor"]
