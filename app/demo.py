"""`flask seed-demo`: fill an empty store with a few sellers, events and tickets, so a newcomer sees a living store.

It lives beside the composition root, not in a context: it drives the auth and tickets contexts through their own
services, exactly as their pages do, so every event flows as usual. The events are dated from the moment it runs: a
few over the coming weeks, and one that starts a few minutes later, so the time rule can be seen (its tickets leave
the listing and can no longer be reserved once it starts).

Where orders and payments are served too, with demo payments (localstripe), a demo buyer then buys one more ticket
the way a visitor does — reserve, pay by card, wait for the events — so signing in as them shows "My tickets" with an
e-ticket, and its event's organiser can check it in at the door page. The seed runs before any worker, so it relays
the events and applies them to their handlers itself, through the same relay and deliveries a worker runs.
"""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

DEMO_PASSWORD = "demo-pass"
SELLERS = ("ada@demo.example", "grace@demo.example", "linus@demo.example")
DEMO_BUYER = "fan@demo.example"
# The demo buyer's ticket: (event, seller, title, price), listed for that event and bought by the demo buyer.
DEMO_PURCHASE = ("Hamilton", "ada@demo.example", "Orchestra, row F", "249.00")
DEMO_CARD = "pm_card_visa"  # Stripe's test card, which localstripe accepts too
SETTLE_SECONDS = 60
SOON_MINUTES = 6
# (organiser, name, venue, city, time zone, days ahead, local time, [(seller, ticket title, price)]); days ahead None:
# SOON_MINUTES from now.
EVENTS = [
    ("ada@demo.example", "Jazz at the Blue Note — late set", "Blue Note", "New York", "America/New_York", 2, "22:30",
     [("ada@demo.example", "Bar seat", "45.50"), ("linus@demo.example", "Table for two (2 seats)", "95.00")]),
    ("grace@demo.example", "Hamilton", "Richard Rodgers Theatre", "New York", "America/New_York", 5, "19:00",
     [("grace@demo.example", "Mezzanine, row C", "229.99"), ("ada@demo.example", "Orchestra, row K", "289.00"),
      ("linus@demo.example", "Rear mezzanine, row H", "159.00")]),
    ("ada@demo.example", "Radiohead", "Madison Square Garden", "New York", "America/New_York", 9, "20:00",
     [("ada@demo.example", "Floor, standing", "185.00"), ("grace@demo.example", "Section 105, row 12", "149.00"),
      ("linus@demo.example", "Section 224, row 3", "95.00")]),
    ("linus@demo.example", "Berlin Philharmonic — Mahler 5", "Philharmonie", "Berlin", "Europe/Berlin", 16, "20:00",
     [("linus@demo.example", "Block A, row 7", "98.00"), ("ada@demo.example", "Block C, row 2", "120.00")]),
    ("grace@demo.example", "Champions League final", "Wembley Stadium", "London", "Europe/London", 24, "20:00",
     [("grace@demo.example", "Category 2, block 512", "450.00"), ("linus@demo.example", "Category 1, block 110",
                                                                  "690.00"),
      ("ada@demo.example", "Category 3, upper tier", "310.00")]),
    ("linus@demo.example", "Glastonbury Festival", "Worthy Farm", "Pilton", "Europe/London", 40, "10:00",
     [("linus@demo.example", "Weekend pass", "335.00"), ("grace@demo.example", "Weekend pass with campervan",
                                                          "480.00")]),
    ("linus@demo.example", "Comedy Cellar — late-night set", "Comedy Cellar", "New York", "America/New_York", None,
     None, [("linus@demo.example", "General admission", "25.00"), ("grace@demo.example", "Front table", "40.00")]),
]


def starts_at(zone, days_ahead, local_time, now=None):
    """Return an event's start as ISO 8601 with its venue's offset: a local time some days ahead, or in a few
    minutes when `days_ahead` is None."""
    tz = ZoneInfo(zone)
    now = (now or datetime.now(tz)).astimezone(tz)
    if days_ahead is None:
        return (now + timedelta(minutes=SOON_MINUTES)).replace(second=0, microsecond=0).isoformat()
    hour, minute = (int(part) for part in local_time.split(":"))
    return (now + timedelta(days=days_ahead)).replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the store already has accounts.")
@with_appcontext
def seed_demo_command(if_empty):
    """Create demo sellers (password demo-pass), their events and their tickets."""
    from app.auth.models import User
    from app.auth.services import register_user
    from app.tickets.services import create_ticket
    from app.tickets.shows import create_event

    if if_empty and User.objects.limit(1).count(with_limit_and_skip=True):
        click.echo("store not empty: no demo catalogue added")
        return
    users = {email: str(register_user(email, DEMO_PASSWORD).id) for email in SELLERS}
    count, soon, shows = 0, None, {}
    for organiser, name, venue, city, zone, days, local_time, tickets in EVENTS:
        show = create_event(users[organiser], name, venue, city, starts_at(zone, days, local_time))
        shows[name] = show
        if days is None:
            soon = show
        for seller, title, price in tickets:
            create_ticket(users[seller], title, price, str(show.id))
            count += 1
    click.echo(f"demo catalogue: {len(SELLERS)} sellers (password {DEMO_PASSWORD}), {len(EVENTS)} events, "
               f"{count} tickets in {current_app.config['CURRENCY']}")
    if soon is not None:
        click.echo(f"  {soon.name!r} starts at {soon.starts_at:%H:%M} UTC, in {SOON_MINUTES} minutes: then its "
                   "tickets leave the listing and can no longer be reserved")
    if _can_buy():
        _buy_demo_ticket(users, shows)


def _can_buy():
    from app.platform import localstripe

    contexts = set(current_app.config["CONTEXTS"])
    if not {"orders", "payments"} <= contexts or not localstripe.effective_settings(current_app.config)["demo"]:
        click.echo("  no demo buyer: that takes orders and payments in this process, with demo payments")
        return False
    return True


def _buy_demo_ticket(users, shows):
    """Have the demo buyer reserve a ticket and pay for it by card, then let the events run until their e-ticket is
    issued."""
    from app.auth.services import register_user
    from app.orders.errors import TicketNotFoundError
    from app.orders.queries import find_order
    from app.orders.services import cancel_order, place_order
    from app.payments.errors import OrderNotFoundError
    from app.payments.services import pay_for_order
    from app.platform.errors import DomainError
    from app.tickets.services import create_ticket

    name, seller, title, price = DEMO_PURCHASE
    show = shows[name]
    buyer_id = str(register_user(DEMO_BUYER, DEMO_PASSWORD).id)
    ticket_id = str(create_ticket(users[seller], title, price, str(show.id)).id)
    # Each step waits for the news it needs: orders to know the ticket, payments to know the order.
    order_id = str(_settle(lambda: place_order(buyer_id, ticket_id, DEMO_BUYER), TicketNotFoundError).id)
    try:
        _settle(lambda: pay_for_order(order_id, buyer_id, DEMO_CARD), OrderNotFoundError)
    except DomainError as exc:
        cancel_order(order_id, buyer_id)
        click.echo(f"  no demo buyer's ticket: the demo payment failed ({exc.message})")
        return
    # Orders completes the order, tickets sells the ticket and issues the e-ticket, orders keeps its code.
    _settle(lambda: find_order(order_id, buyer_id).eticket_code)
    organiser = next(email for email, user_id in users.items() if user_id == show.organizer_id)
    click.echo(f"  demo buyer {DEMO_BUYER} (password {DEMO_PASSWORD}) holds a paid e-ticket for {name!r} "
               f"({title}), under My tickets; {organiser} checks it in at /events/{show.id}/door")


def _settle(step, *not_yet):
    """Relay committed events and apply them to their handlers in this process, as a worker would (none runs yet),
    until `step()` returns something without raising one of `not_yet`; return that."""
    from app.platform.delivery import deliver, due_ids
    from app.platform.relay import relay_pending

    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        relay_pending()
        for delivery_id in due_ids():
            deliver(delivery_id)
        try:
            result = step()
        except not_yet:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise click.ClickException("the demo purchase's events did not arrive in time (see `flask outbox status`)")
        time.sleep(0.05)


def init_app(app):
    """Register the command where both contexts it drives are served."""
    if {"auth", "tickets"} <= set(app.config["CONTEXTS"]):
        app.cli.add_command(seed_demo_command)
