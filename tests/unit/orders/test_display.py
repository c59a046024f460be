"""How orders are shown: prices, statuses in words, the time left and ISO 8601 UTC times."""

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.orders.services import iso_utc
from app.orders.views import clock, seconds_left, status_label
from app.platform.money import format_money, to_major


def _order(status, seconds=0, reason=None):
    return SimpleNamespace(status=status, cancel_reason=reason,
                           expires_at=datetime.now(UTC) + timedelta(seconds=seconds))


def test_prices_show_with_their_symbol_and_as_major_units():
    assert format_money(4250, "USD") == "$42.50"
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(99, "GBP") == "£0.99"
    assert to_major(4250, "USD") == 42.5


@pytest.mark.parametrize("order, label", [
    (_order("created"), "Reserved"), (_order("awaiting:payment"), "Awaiting payment"), (_order("complete"), "Paid"),
    (_order("cancelled", reason="cancelled"), "Cancelled"), (_order("cancelled", reason="expired"), "Expired"),
])
def test_statuses_read_as_words_and_complete_reads_paid(order, label):
    assert status_label(order) == label


def test_time_left_counts_only_for_unpaid_orders():
    assert 895 <= seconds_left(_order("created", 900)) <= 900
    assert seconds_left(_order("awaiting:payment", -5)) == 0
    assert seconds_left(_order("complete", 900)) is None
    assert seconds_left(_order("cancelled", 900)) is None


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (59, "0:59"), (900, "15:00"), (3725, "1:02:05")])
def test_the_clock_shows_minutes_and_seconds(seconds, shown):
    assert clock(seconds) == shown


def test_times_are_iso_8601_utc_with_a_z():
    moment = datetime(2024, 5, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert iso_utc(moment) == "2024-05-01T12:30:05.123Z"
