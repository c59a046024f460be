"""Forms of the tickets pages; the rules on titles, prices and events live in the services, so pages and API agree."""

import re
from datetime import datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from app.platform.documents import as_utc

NO_EVENT, NEW_EVENT = "", "new"


class TicketForm(FlaskForm):
    """Sell or edit a ticket: a title and a price in major units."""

    title = StringField("Title", render_kw={"maxlength": 200, "required": True, "autocomplete": "off"})
    price = StringField("Price", render_kw={"inputmode": "decimal", "required": True, "autocomplete": "off"})
    submit = SubmitField("Save")


@cache
def time_zones():
    """Return the IANA time zones a venue can be in, UTC first."""
    return ["UTC", *sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(
        ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")))]


class SellForm(TicketForm):
    """Sell a ticket: a title, a price, and its event — an upcoming one, a new one described here, or none."""

    event = SelectField("Event", choices=[SelectChoice(NO_EVENT, "No particular event")],
                        validate_choice=False)
    event_name = StringField("Event name", render_kw={"maxlength": 200, "autocomplete": "off"})
    event_venue = StringField("Venue", render_kw={"maxlength": 200, "autocomplete": "off"})
    event_city = StringField("City", render_kw={"maxlength": 100, "autocomplete": "address-level2"})
    event_starts = StringField("Date and time", render_kw={"type": "datetime-local"})
    event_zone = SelectField("Time zone", default="UTC", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_zone.choices = [SelectChoice(zone, zone.replace("_", " ")) for zone in time_zones()]

    def offer(self, events):
        """Offer these events (and no event, or a new one) in the event list, labelled by `label(event)`."""
        self.event.choices = [SelectChoice(NO_EVENT, "No particular event"),
                              *[SelectChoice(str(show.id), label) for show, label in events],
                              SelectChoice(NEW_EVENT, "A new event (describe it below)")]

    def starts_at(self):
        """Return the new event's start as ISO 8601 with its zone's offset ("" when empty, None when no time)."""
        return start_on_clock(self.event_starts.data, self.event_zone.data)


FIXED_OFFSET = re.compile(r"UTC([+-])([01]\d|2[0-3]):([0-5]\d)")


def fixed_zone(minutes):
    """Return the time-zone choice of a fixed offset east of UTC in minutes: "UTC", "UTC+02:00", "UTC-04:30"."""
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours:02d}:{rest:02d}"


def _zone(choice):
    if choice in time_zones():
        return ZoneInfo(choice)
    match = FIXED_OFFSET.fullmatch(choice or "")
    if match is None:
        return ZoneInfo("UTC")
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(timedelta(minutes=minutes if match[1] == "+" else -minutes))


def start_on_clock(raw, choice):
    """Return a datetime-local value on a zone's clock (IANA, or a fixed "UTC+02:00") as ISO 8601 with its offset;
    "" when nothing was typed, None when it is no time."""
    raw = (raw or "").strip()
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=_zone(choice)).isoformat() if raw else ""
    except ValueError:
        return None  # the browser's picker never sends this; a hand-made request gets "enter a date and time"


class EventForm(FlaskForm):
    """Edit an event: its name, venue, city, and its start on the venue's clock."""

    name = StringField("Name", render_kw={"maxlength": 200, "autocomplete": "off"})
    venue = StringField("Venue", render_kw={"maxlength": 200, "autocomplete": "off"})
    city = StringField("City", render_kw={"maxlength": 100, "autocomplete": "address-level2"})
    starts = StringField("Date and time", render_kw={"type": "datetime-local"})
    zone = SelectField("Venue's time zone", default="UTC", validate_choice=False)

    def __init__(self, *args, utc_offset=0, **kwargs):
        super().__init__(*args, **kwargs)
        # An event keeps the offset it was given, not a zone name: its own clock comes first, the zones after it.
        own = fixed_zone(utc_offset)
        first = [] if own == "UTC" else [SelectChoice(own, f"{own} (the event's clock now)")]
        self.zone.choices = first + [SelectChoice(zone, zone.replace("_", " ")) for zone in time_zones()]

    def fill(self, name, venue, city, starts_at, utc_offset):
        """Show an event's fields, its start on its own clock."""
        local = (as_utc(starts_at) + timedelta(minutes=utc_offset)).replace(tzinfo=None)
        self.name.data, self.venue.data, self.city.data = name, venue, city
        self.starts.data = local.isoformat(timespec="minutes" if local.second == 0 else "seconds")
        self.zone.data = fixed_zone(utc_offset)

    def starts_at(self):
        """Return the start typed as ISO 8601 with its zone's offset ("" when empty, None when no time)."""
        return start_on_clock(self.starts.data, self.zone.data)


# Where the services' field names land on the event form.
EVENT_FIELDS = {"name": "name", "venue": "venue", "city": "city", "startsAt": "starts"}
NO_TIME = "Enter the date and time of the event"

# Where the services' field names land on the sell form.
SELL_FIELDS = {"title": "title", "price": "price", "eventId": "event", "name": "event_name", "venue": "event_venue",
               "city": "event_city", "startsAt": "event_starts"}


class DoorForm(FlaskForm):
    """The door's one field: what a keyboard-wedge scanner (or a person, or the camera) types from a code."""

    code = StringField("Scan or type an e-ticket code", render_kw={
        "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false", "autofocus": True, "maxlength": 300})


class ResaleForm(FlaskForm):
    """Resell a bought ticket: the price in major units."""

    price = StringField("Resale price", render_kw={"inputmode": "decimal", "required": True, "autocomplete": "off"})


class PlainForm(FlaskForm):
    """A form with nothing but its CSRF token (one-button actions)."""
