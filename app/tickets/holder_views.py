"""The pages after a sale: a holder's e-ticket with its QR code, the organiser's door, and "My tickets" (/account)
with resale and withdrawal."""

from dataclasses import dataclass

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.platform.documents import as_utc, utcnow
from app.platform.errors import DomainError, ValidationError

from . import holders
from .errors import ETicketAlreadyUsedError, ETicketNotFoundError, ETicketVoidError, EventNotFoundError
from .forms import DoorForm, PlainForm, ResaleForm
from .models import SOLD, VALID, VOID
from .money import format_money
from .params import MineQuery
from .queries import (
    door_counts,
    eticket_at_door,
    eticket_of_holder,
    events_by_id,
    find_event,
    has_started,
    held_by,
    sold_and_selling,
)

bp = Blueprint("etickets", __name__, template_folder="templates")
ACCOUNT_ROWS = 100


@bp.context_processor
def _helpers():
    return {"format_money": format_money}


@bp.get("/etickets/<code>")
@login_required
def show(code):
    """Show the holder their e-ticket with its QR code, ready to print (404 for anyone else)."""
    eticket = eticket_of_holder(code, current_user.id)
    event = events_by_id([eticket.event_id]).get(eticket.event_id) if eticket.event_id else None
    return render_template("tickets/eticket.html", eticket=eticket, show=event,
                           qr=None if eticket.status == VOID else qr_svg(eticket.code))


def qr_svg(code):
    """Return the QR code of an e-ticket code as inline SVG, drawn on the server (no script, prints sharply)."""
    svg = segno.make(code, error="m").svg_inline(scale=6, border=4, svgclass="qr-code", title="E-ticket QR code")
    return Markup(svg)  # segno's own markup of a code that matched CODE_PATTERN: nothing of a visitor's in it


@dataclass(frozen=True)
class DoorAnswer:
    """What the door says after a scan: green (let in), amber (already in) or red (void or unknown)."""

    colour: str
    headline: str
    detail: str = ""
    holder: str | None = None
    title: str | None = None
    at: object = None


@bp.route("/events/<event_id>/door", methods=["GET", "POST"])
@login_required
def door(event_id):
    """Show the organiser's door: scan a code, get a big answer; counts of tickets sold and checked in."""
    show = find_event(event_id)
    if show.organizer_id != current_user.id:
        raise EventNotFoundError()  # nobody else learns the door exists
    form = DoorForm()
    answer = None
    if form.validate_on_submit():
        answer = scan(scanned_code(form.code.data), str(show.id))
        form.code.data = ""  # ready for the next ticket
    sold, checked_in = door_counts(str(show.id))
    return render_template("tickets/door.html", show=show, form=form, answer=answer, sold=sold,
                           checked_in=checked_in, started=has_started(show))


def scanned_code(text):
    """Return the code in what a scanner typed: the code itself, or the last part of an e-ticket's URL."""
    text = (text or "").strip()
    return text.rstrip("/").rsplit("/", 1)[-1] if "/" in text else text


def scan(code, event_id):
    """Check a scanned code in at an event's door and say what the door staff need to know."""
    try:
        eticket = holders.check_in(code, current_user.id, event_id)
    except ETicketAlreadyUsedError:
        eticket = eticket_at_door(code, current_user.id, event_id)
        return DoorAnswer("amber", "Already checked in", "This code was used before: do not let a second person in.",
                          eticket.holder_email, eticket.title, eticket.checked_in_at)
    except ETicketVoidError:
        eticket = eticket_at_door(code, current_user.id, event_id)
        return DoorAnswer("red", "Void: this ticket was resold",
                          "The holder sold it on; only the new holder's code is valid.", eticket.holder_email,
                          eticket.title)
    except ETicketNotFoundError:
        return DoorAnswer("red", "Unknown code", "This is not an e-ticket for this event.")
    return DoorAnswer("green", "Valid: let them in", "", eticket.holder_email, eticket.title, eticket.checked_in_at)


@bp.get("/account")
@login_required
def account():
    """Show "My tickets": the tickets I hold (e-tickets, resale), sell now (withdraw, edit) and sold."""
    held = held_by(MineQuery("holder", per_page=ACCOUNT_ROWS), current_user.id)
    rows = sold_and_selling(MineQuery("seller", per_page=ACCOUNT_ROWS), current_user.id)
    selling = [ticket for ticket, sale in rows if sale is None]
    sold = [(ticket, sale) for ticket, sale in rows if sale is not None]
    events = events_by_id({t.event_id for t, _ in [*held, *rows] if t.event_id})
    caps = {e.code: holders.resale_cap(e.price) for _, e in held}
    now = utcnow()
    resellable = {e.code for t, e in held if e.status == VALID and t.status == SOLD and as_utc(t.on_sale_until) > now}
    return render_template("tickets/account.html", held=held, selling=selling, sold=sold, events=events, caps=caps,
                           resellable=resellable,
                           held_total=held.total,
                           rows_total=rows.total, limit=ACCOUNT_ROWS)


@bp.post("/tickets/<ticket_id>/resale")
@login_required
def resell(ticket_id):
    """Put the holder's ticket back on sale at the price they typed (within the cap)."""
    form = ResaleForm()
    form.validate_on_submit()  # the CSRF check already ran for every POST; this binds the price
    try:
        holders.resell_ticket(ticket_id, current_user.id, form.price.data)
    except DomainError as exc:
        flash(_words(exc), "error")
        return redirect(url_for("etickets.account"))
    flash("Your ticket is for sale again. Your e-ticket stays valid until somebody buys it.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.post("/tickets/<ticket_id>/resale/withdraw")
@login_required
def withdraw(ticket_id):
    """Take the holder's unreserved resale listing off sale."""
    PlainForm().validate_on_submit()
    try:
        holders.withdraw_resale(ticket_id, current_user.id)
    except DomainError as exc:
        flash(_words(exc), "error")
    else:
        flash("Your ticket is no longer for sale. Your e-ticket is valid.", "success")
    return redirect(url_for("etickets.account"))


def _words(exc):
    return " ".join(exc.errors.values()) if isinstance(exc, ValidationError) else exc.message
