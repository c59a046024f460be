"""`flask seed-demo`: fill an empty store with a few sellers, events and tickets, so a newcomer sees a living store.

It lives beside the composition root, not in a context: it drives the auth and tickets contexts through their own
services, exactly as their pages do, so every event flows as usual. The events are dated from the moment it runs: a
few over the coming weeks, and one that starts a few minutes later, so the time rule can be seen (its tickets leave
the listing and can no longer be reserved once it starts).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

DEMO_PASSWORD = "demo-pass"
SELLERS = ("ada@demo.example", "grace@demo.example", "linus@demo.example")
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
    count, soon = 0, None
    for organiser, name, venue, city, zone, days, local_time, tickets in EVENTS:
        show = create_event(users[organiser], name, venue, city, starts_at(zone, days, local_time))
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


def init_app(app):
    """Register the command where both contexts it drives are served."""
    if {"auth", "tickets"} <= set(app.config["CONTEXTS"]):
        app.cli.add_command(seed_demo_command)
