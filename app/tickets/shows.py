"""Use cases of the tickets context for dated events ("shows" in code, "events" in the API): announcing and changing
them, and keeping each ticket's search copy of its event and each event's summary of its tickets current."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import UpdateOne

from app.platform.documents import as_utc, utcnow
from app.platform.errors import ValidationError
from app.platform.events import emit
from app.platform.uow import current, transactional

from .errors import EventNotFoundError, EventNotOwnedError, EventStartedError
from .events import EventScheduled, EventUpdated
from .models import AVAILABLE, OPEN_ENDED, Show, Ticket
from .search import city_key, keywords

LIMITS = {"name": 200, "venue": 200, "city": 100}
LABELS = {"name": "Name", "venue": "Venue", "city": "City"}
MAX_AHEAD = timedelta(days=5 * 366)
START_FORMAT = "Start time must be an ISO 8601 time with an offset, like 2030-05-01T20:00:00+02:00"


def iso_utc(moment):
    """Return an instant as ISO 8601 UTC with milliseconds and a Z, as the API writes every time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_start(value, now=None):
    """Return (UTC instant to the millisecond, offset in minutes) of an ISO 8601 start time, or raise ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("Start time is required")
    if not isinstance(value, str):
        raise ValueError(START_FORMAT)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(START_FORMAT) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(START_FORMAT)
    offset = int(moment.utcoffset().total_seconds() // 60)
    # MongoDB keeps milliseconds: trim now, so what the API answers is what it stored.
    start = moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)
    now = now or utcnow()
    if start <= now:
        raise ValueError("Start time must be in the future")
    if start > now + MAX_AHEAD:
        raise ValueError("Start time must be within 5 years")
    return start, offset


def local_day(starts_at, utc_offset):
    """Return the date (YYYY-MM-DD) an instant falls on at the venue, whose clock is `utc_offset` minutes ahead."""
    return (as_utc(starts_at) + timedelta(minutes=utc_offset)).date().isoformat()


def validate_event(name, venue, city, starts_at):
    """Return an event's clean fields from what an organiser sent, or raise ValidationError naming each bad field."""
    errors, clean = {}, {}
    for field, value in (("name", name), ("venue", venue), ("city", city)):
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if not text:
            errors[field] = f"{LABELS[field]} is required"
        elif not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text):
            errors[field] = f"{LABELS[field]} must be valid text"  # a lone surrogate ("\\ud800") cannot be stored
        elif len(text) > LIMITS[field]:
            errors[field] = f"{LABELS[field]} must be at most {LIMITS[field]} characters"
        clean[field] = text
    try:
        clean["starts_at"], clean["utc_offset"] = parse_start(starts_at)
    except ValueError as exc:
        errors["startsAt"] = str(exc)
    if errors:
        raise ValidationError(errors)
    clean["city_key"] = city_key(clean["city"])
    clean["local_day"] = local_day(clean["starts_at"], clean["utc_offset"])
    clean["keywords"] = keywords(clean["name"], clean["venue"], clean["city"])
    return clean


@transactional
def create_event(user_id, name, venue, city, starts_at):
    """Announce a dated event (the caller organises it) that tickets can then be listed for."""
    fields = validate_event(name, venue, city, starts_at)
    show = current().insert(Show(organizer_id=user_id, **fields))
    emit(EventScheduled(aggregate_id=str(show.id), version=show.version, **_state(show)))
    return show


@transactional
def update_event(event_id, user_id, name, venue, city, starts_at):
    """Change the organiser's own event before it starts; its tickets follow its new words and start."""
    show = _load(event_id)
    if show.organizer_id != user_id:
        raise EventNotOwnedError()
    fields = validate_event(name, venue, city, starts_at)
    if as_utc(show.starts_at) <= utcnow():
        raise EventStartedError()
    current().update(show, **fields)
    _refresh_tickets_of(show)
    emit(EventUpdated(aggregate_id=str(show.id), version=show.version, **_state(show)))
    return show


def open_event(event_id):
    """Return the event a new ticket is listed for (None for none), or raise ValidationError on `eventId`."""
    if event_id is None or event_id == "":
        return None
    show = current().get(Show, id=ObjectId(event_id)) if isinstance(event_id, str) and ObjectId.is_valid(
        event_id) else None
    if show is None:
        raise ValidationError({"eventId": "Event not found"})
    if as_utc(show.starts_at) <= utcnow():
        raise ValidationError({"eventId": EventStartedError.message})
    return show


def listing_fields(title, show):
    """Return the search copy a ticket with this title keeps of its event (None: a ticket without one)."""
    if show is None:
        return {"event_id": None, "on_sale_until": OPEN_ENDED, "keywords": keywords(title)}
    return {"event_id": str(show.id), "on_sale_until": show.starts_at,
            "keywords": keywords(title, show.name, show.venue, show.city)}


def ticket_changed(ticket):
    """Bring the ticket's search copy and its event's summary up to date; return the event fields of its events."""
    if not ticket.event_id:
        if ticket.keywords != keywords(ticket.title):  # the seller changed the title
            _set(Ticket, ticket.pk, {"keywords": keywords(ticket.title)})
        return {"event_id": None, "starts_at": None}
    show = current().get(Show, id=ObjectId(ticket.event_id))
    if show is None:  # never deleted; a missing one means hand-edited data: the ticket still works without it
        return {"event_id": ticket.event_id, "starts_at": None}
    wanted = listing_fields(ticket.title, show)
    if ticket.keywords != wanted["keywords"]:
        _set(Ticket, ticket.pk, {"keywords": wanted["keywords"]})
    _summarise(show)
    return {"event_id": ticket.event_id, "starts_at": iso_utc(show.starts_at)}


def _summarise(show):
    # Counted again from the event's own tickets (one indexed read of a bounded set) rather than incremented:
    # a summary that is recomputed in the transaction that changed a ticket can never drift from the tickets.
    rows = current().collection(Ticket).find({"event_id": str(show.id)}, {"status": 1, "price": 1, "currency": 1},
                                             session=current().session)
    available = [row for row in rows if row["status"] == AVAILABLE]
    lowest = min(available, key=lambda row: row["price"]) if available else None
    summary = {"tickets_available": len(available), "lowest_price": lowest and lowest["price"],
               "currency": lowest and lowest["currency"]}
    if summary != {"tickets_available": show.tickets_available, "lowest_price": show.lowest_price,
                   "currency": show.currency}:
        _set(Show, show.pk, summary)  # not a new version: the event itself did not change


def _refresh_tickets_of(show):
    work = current()
    tickets = work.collection(Ticket).find({"event_id": str(show.id)}, {"title": 1}, session=work.session)
    changes = [UpdateOne({"_id": row["_id"]}, {"$set": listing_fields(row["title"], show)}) for row in tickets]
    if changes:
        work.collection(Ticket).bulk_write(changes, ordered=False, session=work.session)


def _set(document_class, pk, values):
    current().collection(document_class).update_one({"_id": pk}, {"$set": values}, session=current().session)


def _state(show):
    return {"name": show.name, "venue": show.venue, "city": show.city, "starts_at": iso_utc(show.starts_at),
            "utc_offset": show.utc_offset, "organizer_id": show.organizer_id}


def _load(event_id):
    show = current().get(Show, id=ObjectId(event_id)) if isinstance(event_id, str) and ObjectId.is_valid(
        event_id) else None
    if show is None:
        raise EventNotFoundError()
    return show
