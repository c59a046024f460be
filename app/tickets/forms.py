"""Forms of the tickets pages; the rules on titles, prices and events live in the services, so pages and API agree."""

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

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
        """Return the new event's start as ISO 8601 with its zone's offset, or what was typed if it is no time."""
        raw = (self.event_starts.data or "").strip()
        zone = self.event_zone.data if self.event_zone.data in time_zones() else "UTC"
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(zone)).isoformat() if raw else ""
        except ValueError:
            return None  # the browser's picker never sends this; a hand-made request gets "enter a date and time"


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
