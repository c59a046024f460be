"""What each email says: its subject and its facts, rendered from the context's Jinja templates (text and HTML).

Emails are rendered when their event arrives, from the facts the event and this context's records held then; the send
task only delivers what was decided. Links are absolute, built on PUBLIC_URL.
"""

from datetime import UTC, timedelta

from flask import current_app, render_template

from app.platform.documents import as_utc
from app.platform.money import format_money

# Raw refund reasons (payments' words) -> the reason a buyer reads, and what it means for them.
REFUND_REASONS = (
    (("duplicate", "already paid"), "duplicate payment",
     "The order was already paid, so this second payment is going back to you."),
    (("mismatch",), "amount mismatch",
     "The amount paid did not match the price of the order, so the payment is going back to you."),
    (("checked in",), "ticket used at the door",
     "The ticket was used at the door by its holder before your payment arrived, so it could not be yours."),
    (("expired", "cancelled", "canceled"), "late payment",
     "Your payment arrived after the reservation had ended, so the ticket was not yours any more."),
)
REFUND_EXPECTATION = ("Refunds usually reach your card within 5 to 10 business days, depending on your bank; "
                      "it shows on your statement as a refund from Ticketing.")


def public_url(config=None):
    """Return the address people reach the store at (PUBLIC_URL, else this process's own), without a trailing /."""
    config = config or current_app.config
    return (config["PUBLIC_URL"] or f"http://127.0.0.1:{config['PORT']}").rstrip("/")


def link(path):
    """Return an absolute link to a path of the store."""
    return public_url() + path


def utc_words(moment):
    """Return an instant as a buyer reads it: "14:32 UTC on 25 Nov 2026"."""
    return as_utc(moment).astimezone(UTC).strftime("%H:%M UTC on %-d %b %Y")


def local_words(moment, utc_offset_minutes):
    """Return a show's start on the venue's clock: "Sat 12 Dec 2026, 20:00"."""
    local = as_utc(moment) + timedelta(minutes=utc_offset_minutes or 0)
    return local.strftime("%a %-d %b %Y, %H:%M")


def duration_words(seconds):
    """Return a duration as people say it: "15 minutes", "1 hour 30 minutes", "45 seconds"."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    hours, minutes = divmod(seconds // 60, 60)
    parts = ([f"{hours} hour{'' if hours == 1 else 's'}"] if hours else []) + (
        [f"{minutes} minute{'' if minutes == 1 else 's'}"] if minutes else [])
    return " ".join(parts)


def refund_reason(raw):
    """Return (reason in words, what it means) for payments' raw refund reason."""
    text = (raw or "").lower()
    for needles, reason, meaning in REFUND_REASONS:
        if any(needle in text for needle in needles):
            return reason, meaning
    return (raw or "refund"), "The payment is going back to you."


def subject_for(kind, facts):
    """Return the subject line of an email of `kind` (one line, whatever a title holds)."""
    subjects = {
        "welcome": "Welcome to Ticketing",
        "reservation_held": "Reserved for you: {title} (pay by {pay_by_clock})",
        "payment_received": "Payment received: {title}",
        "reservation_ended": "Your reservation {ended}: {title}",
        "refund_issued": "Your refund of {amount} is on its way",
        "ticket_sold": "Your ticket sold: {title}",
    }
    return " ".join(subjects[kind].format(**facts).split())


def render(kind, facts):
    """Return (subject, text, html) of an email of `kind` with these facts."""
    context = dict(facts, kind=kind, store_url=public_url(), subject=subject_for(kind, facts))
    text = render_template(f"notifications/emails/{kind}.txt", **context)
    html = render_template(f"notifications/emails/{kind}.html", **context)
    return context["subject"], text, html


def money(minor, currency):
    """Return minor units as the storefront shows a price ("$20.50")."""
    return format_money(minor, currency)
