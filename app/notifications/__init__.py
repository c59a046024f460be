"""The notifications context: the emails the store sends (welcome, reservation held and ended, payment received,
refund issued, ticket sold), each exactly once per event and person.

It only listens: it publishes no event and is called by nobody. It owns the `notifications_*` collections (its own
records of addresses, tickets and orders, built from the other contexts' events, and the emails it owes), and in demo
mode with no MAIL_SERVER the /dev/mail pages.
"""

from flask import current_app

from . import cli, mailer, views

BLUEPRINTS = [views.bp]


def init_app(app):
    """Register Flask-Mailman, `flask mail`, and the footer's link to the demo mailbox."""
    mailer.init_app(app)
    app.cli.add_command(cli.mail_cli)
    app.context_processor(lambda: {"demo_mailbox": mailer.demo_mailbox(current_app.config)})
