"""The pages' filters: prices with their currency symbol and times as human text."""

from datetime import UTC, datetime, timedelta

from app.presentation import ago, clock, money, time_ago, until

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_money_shows_the_currency_symbol_and_minor_units():
    assert money(2050, "USD") == "$20.50"
    assert money(100000000, "eur") == "€1,000,000.00"
    assert money(750, "GBP") == "£7.50"
    assert money(500, "JPY") == "¥500"
    assert money(123456, "SEK") == "1,234.56 SEK"


def test_clock_reads_like_a_countdown():
    assert (clock(299), clock(5), clock(3725), clock(-3)) == ("4:59", "0:05", "1:02:05", "0:00")


def test_ago_and_until_say_times_as_people_do():
    assert ago(NOW - timedelta(seconds=10), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=2, seconds=5), NOW) == "2 minutes ago"
    assert ago(NOW - timedelta(hours=1), NOW) == "1 hour ago"
    assert ago(NOW - timedelta(days=3), NOW) == "3 days ago"
    assert until(NOW + timedelta(minutes=5), NOW) == "in 5 minutes"
    assert until(NOW + timedelta(seconds=1), NOW) == "in 1 second"
    assert ago("2026-11-25T11:00:00Z", NOW) == "1 hour ago"


def test_time_ago_is_a_time_element_with_the_exact_instant():
    html = str(time_ago(datetime(2026, 11, 25, 9, 14, tzinfo=UTC)))
    assert html.startswith('<time datetime="2026-11-25T09:14:00Z" title="25 Nov 2026, 09:14 UTC"')
