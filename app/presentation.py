"""How the pages show things to people: money with its currency symbol, times as human text.

These are Jinja filters and globals for every template of every context. They know no context and no business rule:
a context hands them plain values (minor units and a currency code, an aware UTC datetime, a number of seconds).
"""

from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from app.platform.documents import as_utc
from app.platform.money import format_money


def money(minor, currency):
    """Return integer minor units as a price people read: "$20.50", "€1,000.00", "¥500", "20.50 SEK"."""
    return format_money(minor, currency)


def clock(seconds):
    """Return a number of seconds as a countdown reads it: "4:59", "1:02:03"; never negative."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _plural(n, unit):
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def ago(value, now=None):
    """Return how long ago an instant was, as people say it: "just now", "2 minutes ago", "3 days ago"."""
    now = now or datetime.now(UTC)
    seconds = int((now - as_utc(value)).total_seconds())
    if seconds < 0:
        return until(value, now)
    if seconds < 45:
        return "just now"
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return f"{_plural(seconds // size, unit)} ago"
    return "just now"


def until(value, now=None):
    """Return how far off an instant is: "in 5 minutes", "in 2 hours" (or how long ago, once it passed)."""
    now = now or datetime.now(UTC)
    seconds = int((as_utc(value) - now).total_seconds())
    if seconds < 0:
        return ago(value, now)
    if seconds < 60:
        return f"in {_plural(seconds, 'second')}"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return f"in {_plural(seconds // size, unit)}"
    return "in a moment"


def iso(value):
    """Return an instant as ISO 8601 UTC with a Z, the way a <time datetime> attribute wants it."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(value):
    """Return an instant as plain UTC text ("25 Nov 2026, 09:14 UTC"); the page's script shows it in local time."""
    return as_utc(value).strftime("%-d %b %Y, %H:%M UTC")


def time_ago(value):
    """Return a <time> element saying how long ago an instant was, with the exact local time on hover."""
    return Markup('<time datetime="{0}" title="{1}" data-relative="ago">{2}</time>').format(
        iso(value), utc_text(value), ago(value))


def time_tag(value):
    """Return a <time> element showing the instant's date and time, converted to local time by the page's script."""
    return Markup('<time datetime="{0}" data-local>{1}</time>').format(iso(value), escape(utc_text(value)))


def venue_time(value, utc_offset=0, style="short"):
    """Return an instant on a venue's clock in words: "Sat 5 Dec 2026, 8:00 pm" ("Saturday 5 December 2026, ..."
    with style="long"); `utc_offset` is the venue's offset from UTC in minutes."""
    local = as_utc(value) + timedelta(minutes=utc_offset or 0)
    day = f"{local:%A} {local.day} {local:%B %Y}" if style == "long" else f"{local:%a} {local.day} {local:%b %Y}"
    return f"{day}, {local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def event_time(value, utc_offset=0, style="short"):
    """Return a <time> element with an event's start on its venue's clock (the exact instant in its datetime)."""
    return Markup('<time datetime="{0}" class="event-time">{1}</time>').format(
        iso(value), venue_time(value, utc_offset, style))


def init_app(app):
    """Make the filters and globals available to every template."""
    app.jinja_env.filters.update(money=money, clock=clock, ago=ago, until=until, iso=iso, utc_text=utc_text,
                                 time_ago=time_ago, time_tag=time_tag, venue_time=venue_time,
                                 event_time=event_time)
    app.jinja_env.globals.update(money=money)
