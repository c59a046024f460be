"""The questions buyers ask of the catalogue (which events, which tickets), read from query strings and checked
before anything reaches a query: a bad parameter is a 400 naming it, never a surprise in the database."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bson import ObjectId

from app.platform.documents import as_utc
from app.platform.errors import ValidationError

from .money import MAX_PRICE, exponent
from .search import MAX_QUERY_WORDS, city_key, query_terms

MAX_TEXT = 200
TICKET_SORTS = ("-created", "price", "-price", "date")


@dataclass(frozen=True)
class EventQuery:
    """Which upcoming events to list: words, city, a window of start times or venue days, and the page."""

    terms: tuple = ()
    city: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    day_from: str | None = None  # YYYY-MM-DD on the venue's clock (the pages' date filters)
    day_to: str | None = None
    page: int = 1
    per_page: int = 20

    def key(self):
        """Return a hashable key naming this question (for the read cache)."""
        return ("events", *(getattr(self, name) for name in self.__dataclass_fields__))


@dataclass(frozen=True)
class TicketQuery:
    """Which available tickets to list: an event, words, a price range in minor units, an order, and the page."""

    event_id: str | None = None
    terms: tuple = ()
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "-created"
    page: int = 1
    per_page: int = 100
    currency: str = field(default="USD", compare=False)

    def key(self):
        """Return a hashable key naming this question (for the read cache)."""
        return ("tickets", self.event_id, self.terms, self.min_price, self.max_price, self.sort, self.page,
                self.per_page)


def event_query(args, default_per_page=20):
    """Return the EventQuery of a query string (q, city, from, to, page, perPage), or raise ValidationError."""
    errors = {}
    values = {"terms": _terms(args, "q", errors), "page": _page(args, errors),
              "per_page": _per_page(args, default_per_page, errors)}
    city = _text(args, "city", errors)
    values["city"] = (city_key(city) or None) if city else None
    values["start_from"] = _time(args, "from", errors)
    values["start_to"] = _time(args, "to", errors)
    if values["start_from"] and values["start_to"] and values["start_from"] > values["start_to"]:
        errors["to"] = "to must not be before from"
    if errors:
        raise ValidationError(errors)
    return EventQuery(**values)


def ticket_query(args, currency, default_per_page=100):
    """Return the TicketQuery of a query string (eventId, q, minPrice, maxPrice, sort, page, perPage), or raise."""
    errors = {}
    values = {"terms": _terms(args, "q", errors), "page": _page(args, errors),
              "per_page": _per_page(args, default_per_page, errors), "currency": currency}
    event_id = args.get("eventId")
    if event_id is not None and event_id != "":
        if not ObjectId.is_valid(event_id):
            errors["eventId"] = "eventId must be a valid id"
        values["event_id"] = event_id
    values["min_price"] = _price(args, "minPrice", currency, errors)
    values["max_price"] = _price(args, "maxPrice", currency, errors)
    if None not in (values["min_price"], values["max_price"]) and values["min_price"] > values["max_price"]:
        errors["maxPrice"] = "maxPrice must not be below minPrice"
    sort = args.get("sort") or "-created"
    if sort not in TICKET_SORTS:
        errors["sort"] = f"sort must be one of {', '.join(TICKET_SORTS)}"
    values["sort"] = sort
    if errors:
        raise ValidationError(errors)
    return TicketQuery(**values)


def day(value):
    """Return a YYYY-MM-DD date as text, or None when it is empty or not a date (the pages ignore a bad filter)."""
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _text(args, name, errors):
    value = args.get(name)
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        errors[name] = f"{name} must be at most {MAX_TEXT} characters"
        return None
    return value.strip() or None


def _terms(args, name, errors):
    text = _text(args, name, errors)
    if text and len(text.split()) > 4 * MAX_QUERY_WORDS:
        errors[name] = f"{name} has too many words"
        return ()
    return tuple(query_terms(text)) if text else ()


def _whole(args, name, default, errors, low, high, message):
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        errors[name] = message
        return default
    return int(raw)


def _page(args, errors):
    return _whole(args, "page", 1, errors, 1, 10**6, "page must be a whole number from 1")


def _per_page(args, default, errors):
    return _whole(args, "perPage", default, errors, 1, 100, "perPage must be a whole number from 1 to 100")


def _time(args, name, errors):
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) > 64:
            raise ValueError(name)
        # A date alone means its midnight, and a time without an offset is UTC: both are plain ISO 8601.
        return as_utc(datetime.fromisoformat(raw.strip()))
    except ValueError:
        errors[name] = f"{name} must be an ISO 8601 time, like 2030-05-01T20:00:00+02:00"
        return None


def _price(args, name, currency, errors):
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        amount = Decimal(raw.strip()) if len(raw) <= 32 else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        errors[name] = f"{name} must be a price from 0 to 1,000,000"
        return None
    # A bound between two minor units (10.005) keeps its meaning: round up the lower bound, down the upper one.
    scaled = amount.scaleb(exponent(currency))
    return int(scaled.to_integral_value(rounding="ROUND_CEILING" if name == "minPrice" else "ROUND_FLOOR"))


@dataclass(frozen=True)
class MineQuery:
    """A signed-in user's own tickets: those they hold (`holder`) or sell and sold (`seller`), a page at a time."""

    role: str
    page: int = 1
    per_page: int = 100


def mine_query(args, default_per_page=100):
    """Return the MineQuery of `holder=me` or `seller=me` (with page, perPage), None when neither is asked, or raise
    ValidationError."""
    asked = [name for name in ("holder", "seller") if args.get(name) is not None]
    if not asked:
        return None
    errors = {}
    if len(asked) > 1:
        errors["seller"] = "Ask for holder=me or seller=me, not both"
    role = asked[0]
    if args.get(role) != "me":
        errors[role] = f"{role} must be me"
    values = {"page": _page(args, errors), "per_page": _per_page(args, default_per_page, errors)}
    if errors:
        raise ValidationError(errors)
    return MineQuery(role=role, **values)
