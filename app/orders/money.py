"""Showing the minor-unit prices orders keeps (a small copy of the tickets' rules: contexts share no code)."""

from decimal import Decimal

_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF"})
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}


def _places(currency):
    return 0 if currency.upper() in _ZERO_DECIMAL else 2


def to_major(minor, currency):
    """Return minor units as a JSON-friendly major-unit number (2050 USD -> 20.5)."""
    places = _places(currency)
    return minor if places == 0 else minor / 10 ** places


def format_money(minor, currency):
    """Return minor units for people: "$20.50", "€1,000.00", or "20.50 SEK" for currencies without a symbol."""
    places = _places(currency)
    number = f"{Decimal(minor).scaleb(-places):,.{places}f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"
