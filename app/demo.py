"""`flask seed-demo`: fill an empty store with a few sellers and tickets, so a newcomer sees a living store.

It lives beside the composition root, not in a context: it drives the auth and tickets contexts through their own
services, exactly as their pages do, so every event flows as usual.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

DEMO_PASSWORD = "demo-pass"
SELLERS = {
    "ada@demo.example": [("Radiohead — Madison Square Garden, floor", "185.00"),
                         ("Jazz at the Blue Note, late set", "45.50")],
    "grace@demo.example": [("Champions League final, category 2", "450.00"),
                           ("Hamilton — Richard Rodgers Theatre, mezzanine", "229.99")],
    "linus@demo.example": [("Glastonbury weekend pass", "335.00"),
                           ("Comedy Cellar, 9:30 pm show", "25.00"),
                           ("Berlin Philharmonic — Mahler 5", "98.00")],
}


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the store already has accounts.")
@with_appcontext
def seed_demo_command(if_empty):
    """Create demo sellers (password demo-pass) and their tickets."""
    from app.auth.models import User
    from app.auth.services import register_user
    from app.tickets.services import create_ticket

    if if_empty and User.objects.limit(1).count(with_limit_and_skip=True):
        click.echo("store not empty: no demo catalogue added")
        return
    count = 0
    for email, tickets in SELLERS.items():
        user = register_user(email, DEMO_PASSWORD)
        for title, price in tickets:
            create_ticket(str(user.id), title, price)
            count += 1
    click.echo(f"demo catalogue: {len(SELLERS)} sellers (password {DEMO_PASSWORD}), {count} tickets "
               f"in {current_app.config['CURRENCY']}")


def init_app(app):
    """Register the command where both contexts it drives are served."""
    if {"auth", "tickets"} <= set(app.config["CONTEXTS"]):
        app.cli.add_command(seed_demo_command)
