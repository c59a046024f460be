"""Prices: what a seller types becomes integer minor units, and minor units are shown with the currency's symbol."""

import pytest

from app.platform.errors import ValidationError
from app.tickets.money import PriceError, format_money, input_value, to_major, to_minor
from app.tickets.services import validate_listing


@pytest.mark.parametrize("typed, minor", [
    (20.5, 2050), ("20.5", 2050), (20, 2000), ("0.01", 1), (1_000_000, 100_000_000), (19.99, 1999),
    ("  7.10 ", 710),
])
def test_prices_become_exact_minor_units(typed, minor):
    assert to_minor(typed, "USD") == minor


@pytest.mark.parametrize("typed, message", [
    (0, "Price must be greater than 0"), (-1, "Price must be greater than 0"),
    (1.005, "Price must have at most 2 decimal places"), (1_000_000.01, "Price must be at most 1,000,000"),
    ("abc", "Price must be a number"), (float("nan"), "Price must be a number"),
    (float("inf"), "Price must be a number"), (True, "Price must be a number"), ([1], "Price must be a number"),
    (None, "Price is required"), ("", "Price is required"), (0.1 + 0.2, "at most 2 decimal places"),
])
def test_bad_prices_are_refused_with_a_reason(typed, message):
    with pytest.raises(PriceError, match=message):
        to_minor(typed, "USD")


def test_zero_decimal_currencies_take_whole_prices():
    assert to_minor(500, "JPY") == 500
    with pytest.raises(PriceError, match="whole"):
        to_minor(5.5, "JPY")


@pytest.mark.parametrize("minor, currency, shown", [
    (2050, "USD", "$20.50"), (100_000_000, "USD", "$1,000,000.00"), (1999, "EUR", "€19.99"), (5, "GBP", "£0.05"),
    (500, "JPY", "¥500"), (1250, "SEK", "12.50 SEK"),
])
def test_money_is_shown_with_its_symbol(minor, currency, shown):
    assert format_money(minor, currency) == shown


def test_the_api_and_forms_show_major_units():
    assert to_major(2050, "USD") == 20.5
    assert to_major(500, "JPY") == 500
    assert input_value(2050, "USD") == "20.50"


def test_a_listing_is_trimmed_and_every_bad_field_is_named():
    assert validate_listing("  Gig  ", "12.5", "USD") == {"title": "Gig", "price": 1250}
    with pytest.raises(ValidationError) as failure:
        validate_listing(" ", "x" * 3, "USD")
    assert failure.value.errors == {"title": "Title is required", "price": "Price must be a number"}
    with pytest.raises(ValidationError) as failure:
        validate_listing("t" * 201, 1, "USD")
    assert failure.value.errors == {"title": "Title must be at most 200 characters"}
