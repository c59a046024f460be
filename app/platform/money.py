"""Money as every context keeps it: integer minor units plus an ISO 4217 currency code.

One definition of a currency's minor unit for the whole store, matched to Stripe's (amounts go to Stripe as is).
"""

from decimal import Decimal

# Stripe's zero-decimal currencies: the minor unit is the major unit.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                          "XAF", "XOF", "XPF"})
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}


def exponent(currency):
    """Return how many decimal places the currency's minor unit has."""
    return 0 if (currency or "").upper() in ZERO_DECIMAL else 2


def to_major(minor, currency):
    """Return minor units as a JSON-friendly major-unit number (2050 USD -> 20.5)."""
    places = exponent(currency)
    return minor if places == 0 else minor / 10 ** places


def format_money(minor, currency):
    """Return minor units for people: "$20.50", "€1,000.00", "¥500", or "20.50 SEK" for other currencies."""
    code = (currency or "").upper()
    places = exponent(code)
    number = f"{Decimal(int(minor)).scaleb(-places):,.{places}f}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}".strip()


def input_value(minor, currency):
    """Return minor units as the plain major-unit text a price field shows ("20.50")."""
    places = exponent(currency)
    return f"{Decimal(int(minor)).scaleb(-places):.{places}f}"
