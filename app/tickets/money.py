"""Prices: parsing a major-unit amount into integer minor units, and showing minor units with a currency symbol."""

from decimal import Decimal, InvalidOperation

MAX_PRICE = Decimal(1000000)
# Currencies whose minor unit is the major unit (ISO 4217 exponent 0); every other currency here uses cents.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF"})
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}


class PriceError(ValueError):
    """A price a user typed cannot be a ticket's price; the message says why."""


def exponent(currency):
    """Return how many decimal places the currency's minor unit has."""
    return 0 if currency.upper() in _ZERO_DECIMAL else 2


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


def to_major(minor, currency):
    """Return minor units as a JSON-friendly major-unit number (2050 USD -> 20.5)."""
    places = exponent(currency)
    return minor if places == 0 else minor / 10 ** places


def format_money(minor, currency):
    """Return minor units for people: "$20.50", "€1,000.00", "¥500", or "20.50 SEK" for other currencies."""
    places = exponent(currency)
    number = f"{Decimal(minor).scaleb(-places):,.{places}f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def input_value(minor, currency):
    """Return minor units as the plain major-unit text a price field shows ("20.50")."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
